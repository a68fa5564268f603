package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.fedmil.audit.Signatures;
import org.fedmil.audit.UpdateStatement;
import org.fedmil.coordinator.round.FederationException;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.SignedUpdate;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.PrivacyClaim;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpdateHeaderCheckTest {

    @TempDir
    Path tmp;

    private X509Certificate siteCert;
    private PrivateKey siteKey;
    private PrivateKey otherSiteKey;
    private final GlobalModel model = GlobalModel.of(3, new ModelSpec(Architecture.ATTENTION, 2, 2, 2),
            new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1f, 2f}))));

    @BeforeEach
    void pki() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "t", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials a = ca.issueSite("site-a", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        PartyCredentials b = ca.issueSite("site-b", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        siteCert = PemFiles.readCertificate(a.cert());
        siteKey = PemFiles.readPrivateKey(a.key());
        otherSiteKey = PemFiles.readPrivateKey(b.key());
    }

    private UpdateHeader.Builder header() {
        return UpdateHeader.newBuilder().setRound(4).setBaseModelVersion(3)
                .setBaseModelSha256(ByteString.copyFrom(model.sha256()))
                .setDeltaSha256(ByteString.copyFrom(new byte[32])).setNumTrainingBags(30).setTotalBytes(8);
    }

    private static UpdateHeader signed(UpdateHeader.Builder h, PrivateKey key, String federation, String site) {
        UpdateStatement st = Wire.updateStatement(h.build(), federation, site);
        return h.setSiteSignature(ByteString.copyFrom(Base64.getDecoder().decode(
                Signatures.sign(key, st.canonicalBytes())))).build();
    }

    private UpdateRefusal refusal(UpdateHeader h, Optional<FederationPlan.DpRequirement> dp) {
        return catchThrowableOfType(FederationException.class,
                () -> UpdateHeaderCheck.check(h, "fed", "site-a", siteCert, model, dp)).refusal();
    }

    @Test
    void aHeaderSignedByTheSitesOwnKeyIsAcceptedWithItsExactStatement() {
        SignedUpdate s = UpdateHeaderCheck.check(signed(header(), siteKey, "fed", "site-a"), "fed", "site-a",
                siteCert, model, Optional.empty());
        assertThat(UpdateStatement.parse(s.statementJson()).trainingBags()).isEqualTo(30);
        assertThat(s.statementJson()).contains("\"site\":\"site-a\"").contains("\"federation_id\":\"fed\"");
    }

    @Test
    void aMissingForeignOrStaleSignatureIsRefused() {
        assertThat(refusal(header().build(), Optional.empty())).isEqualTo(UpdateRefusal.BAD_SIGNATURE);
        assertThat(refusal(signed(header(), otherSiteKey, "fed", "site-a"), Optional.empty()))
                .as("signed with another site's key").isEqualTo(UpdateRefusal.BAD_SIGNATURE);
        assertThat(refusal(signed(header(), siteKey, "other-federation", "site-a"), Optional.empty()))
                .as("a statement made for another federation").isEqualTo(UpdateRefusal.BAD_SIGNATURE);
        UpdateHeader tampered = signed(header(), siteKey, "fed", "site-a").toBuilder().setNumTrainingBags(3000)
                .build();
        assertThat(refusal(tampered, Optional.empty())).as("bags changed after signing")
                .isEqualTo(UpdateRefusal.BAD_SIGNATURE);
    }

    @Test
    void anUpdateTrainedFromOtherBytesOfTheRoundsModelIsRefusedAsStale() {
        UpdateHeader h = signed(header().setBaseModelSha256(ByteString.copyFrom(new byte[32])), siteKey, "fed",
                "site-a");
        assertThat(refusal(h, Optional.empty())).isEqualTo(UpdateRefusal.STALE_BASE_MODEL);
    }

    @Test
    void anUpdateWithLessPrivacyThanTheFederationRequiresIsRefused() {
        Optional<FederationPlan.DpRequirement> dp = Optional.of(new FederationPlan.DpRequirement(1.0, 0.8));
        assertThat(refusal(signed(header(), siteKey, "fed", "site-a"), dp)).isEqualTo(UpdateRefusal.PRIVACY_NOT_MET);
        UpdateHeader weak = signed(header().setPrivacy(PrivacyClaim.newBuilder().setClipNorm(1.0)
                .setNoiseMultiplier(0.5).setSamplingRate(1).setDelta(1e-5).setEpsilonSpent(3)), siteKey, "fed", "site-a");
        assertThat(refusal(weak, dp)).isEqualTo(UpdateRefusal.PRIVACY_NOT_MET);
        UpdateHeader enough = signed(header().setPrivacy(PrivacyClaim.newBuilder().setClipNorm(1.0)
                .setNoiseMultiplier(0.8).setSamplingRate(1).setDelta(1e-5).setEpsilonSpent(3)), siteKey, "fed", "site-a");
        assertThat(UpdateHeaderCheck.check(enough, "fed", "site-a", siteCert, model, dp).privacy()).isPresent();
    }

    @Test
    void underPatientLevelDpSgdAClaimWithALargerSamplingRateIsRefused() {
        Optional<FederationPlan.DpRequirement> dp = Optional.of(new FederationPlan.DpRequirement(1.0, 0.8, 0.25));
        UpdateHeader siteLevel = signed(header().setPrivacy(PrivacyClaim.newBuilder().setClipNorm(1.0)
                .setNoiseMultiplier(0.8).setSamplingRate(1).setDelta(1e-5).setEpsilonSpent(3)), siteKey, "fed", "site-a");
        assertThatThrownBy(() -> UpdateHeaderCheck.check(siteLevel, "fed", "site-a", siteCert, model, dp))
                .hasMessageContaining("sampling rate 1.0").hasMessageContaining("at most 0.25");
        UpdateHeader perBag = signed(header().setPrivacy(PrivacyClaim.newBuilder().setClipNorm(1.0)
                .setNoiseMultiplier(0.8).setSamplingRate(0.25).setDelta(1e-5).setEpsilonSpent(3)), siteKey, "fed",
                "site-a");
        assertThat(UpdateHeaderCheck.check(perBag, "fed", "site-a", siteCert, model, dp).privacy()).isPresent();
    }
}
