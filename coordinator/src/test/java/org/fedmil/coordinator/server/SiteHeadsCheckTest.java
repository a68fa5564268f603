package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.fedmil.audit.SignedStatement;
import org.fedmil.audit.Signatures;
import org.fedmil.audit.SiteHeads;
import org.fedmil.audit.UpdateStatement;
import org.fedmil.coordinator.round.FederationException;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.SignedUpdate;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.SignedLogHead;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The heads a site countersigns with its update: checked against its certificate and kept for the round log. */
class SiteHeadsCheckTest {

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

    private UpdateHeader header(SiteHeads heads, PrivateKey headsKey) {
        UpdateHeader.Builder h = UpdateHeader.newBuilder().setRound(4).setBaseModelVersion(3)
                .setBaseModelSha256(ByteString.copyFrom(model.sha256()))
                .setDeltaSha256(ByteString.copyFrom(new byte[32])).setNumTrainingBags(30).setTotalBytes(8);
        UpdateStatement st = Wire.updateStatement(h.build(), "fed", "site-a");
        h.setSiteSignature(ByteString.copyFrom(Base64.getDecoder().decode(Signatures.sign(siteKey,
                st.canonicalBytes()))));
        SignedStatement signed = SignedStatement.sign(heads, headsKey);
        return h.setSiteHeads(SignedLogHead.newBuilder().setStatement(signed.statement())
                .setSignature(ByteString.copyFrom(Base64.getDecoder().decode(signed.sig())))).build();
    }

    private static SiteHeads heads(String federation, String site, int round) {
        return new SiteHeads(federation, site, round, 12, "1".repeat(64), 30, "2".repeat(64), 4, "3".repeat(64));
    }

    private UpdateRefusal refusal(UpdateHeader h) {
        return catchThrowableOfType(FederationException.class,
                () -> UpdateHeaderCheck.check(h, "fed", "site-a", siteCert, model, Optional.empty())).refusal();
    }

    @Test
    void theSitesCountersignedHeadsAreKeptAsSigned() {
        SignedUpdate s = UpdateHeaderCheck.check(header(heads("fed", "site-a", 4), siteKey), "fed", "site-a",
                siteCert, model, Optional.empty());

        assertThat(s.siteHeads()).hasValueSatisfying(h -> {
            assertThat(SiteHeads.parse(h.statement())).isEqualTo(heads("fed", "site-a", 4));
            assertThat(h.problem(siteCert.getPublicKey(), "site-a")).isNull();
        });
    }

    @Test
    void headsSignedByAnotherKeyOrForAnotherSiteFederationOrRoundAreRefused() {
        assertThat(refusal(header(heads("fed", "site-a", 4), otherSiteKey))).isEqualTo(UpdateRefusal.BAD_SIGNATURE);
        assertThat(refusal(header(heads("fed", "site-b", 4), siteKey))).isEqualTo(UpdateRefusal.BAD_SIGNATURE);
        assertThat(refusal(header(heads("other", "site-a", 4), siteKey))).isEqualTo(UpdateRefusal.BAD_SIGNATURE);
        assertThat(refusal(header(heads("fed", "site-a", 3), siteKey))).isEqualTo(UpdateRefusal.BAD_SIGNATURE);
    }

    @Test
    void anUpdateWithoutHeadsFromAnOlderSiteIsAcceptedWithNone() {
        UpdateHeader h = header(heads("fed", "site-a", 4), siteKey).toBuilder().clearSiteHeads().build();
        assertThat(UpdateHeaderCheck.check(h, "fed", "site-a", siteCert, model, Optional.empty()).siteHeads())
                .isEmpty();
    }
}
