package org.fedmil.site.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.privacy.PrivacyLedger;
import org.fedmil.proto.v1.DifferentialPrivacy;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.fedmil.site.audit.EgressLog;
import org.fedmil.site.audit.ReceiptStore;
import org.fedmil.site.config.SitePolicy;
import org.fedmil.site.policy.Participation;
import org.fedmil.site.policy.PolicyGuard;
import org.fedmil.site.policy.PolicyViolation;
import org.fedmil.site.policy.SitePrivacy;
import org.fedmil.site.task.Membership;
import org.fedmil.site.testing.Deltas;
import org.fedmil.site.testing.TestPki;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The filters together, as every path that releases a delta uses them. */
class OutboundPipelineTest {

    private static final ModelSpec MODEL = new ModelSpec(Architecture.ATTENTION, 6, 5, 3);
    private static final TrainingConfig WITH_DP = TrainingConfig.newBuilder()
            .setDp(DifferentialPrivacy.newBuilder().setClipNorm(1.0).setNoiseMultiplier(1.0)).build();

    @TempDir
    Path state;
    @TempDir
    Path pki;

    private final List<UpdateHeader> headers = new ArrayList<>();
    private final List<byte[]> sent = new ArrayList<>();
    private EgressLog egress;
    private OutboundPipeline pipeline;

    @BeforeEach
    void pipeline() {
        TestPki.Site site = new TestPki(pki).site("site-a");
        Membership membership = new Membership();
        membership.joined("fed-test", "site-a");
        egress = EgressLog.open(state, "site-a", site.key(), site.certificate(), "test");
        PolicyGuard policy = new PolicyGuard(new SitePolicy(null, null, 5, null, null), Participation.open(state));
        pipeline = new OutboundPipeline(policy, membership,
                new DpFilter(new SitePrivacy(new SitePolicy.Dp(null, null, null, null, null), state)),
                new CompressionFilter(), new SignFilter(site.key(), membership), (header, bytes) -> {
                    headers.add(header);
                    sent.add(bytes.clone());
                    return UploadReceipt.newBuilder().setDeltaSha256(header.getDeltaSha256()).build();
                }, new ReceiptStore(state, egress, new CoordinatorIdentity(null)));
    }

    @AfterEach
    void close() {
        egress.close();
    }

    private Outbound trained(int round, TensorSet delta, long bags) {
        return Outbound.trained("fed-test", round, round - 1, Deltas.BASE_SHA, Outbound.Release.of(WITH_DP), delta,
                bags, 0.5);
    }

    private List<PrivacyLedger.Release> ledger() throws Exception {
        return PrivacyLedger.open(state.resolve(PrivacyLedger.FILE_NAME), SitePolicy.DEFAULT_DELTA).releases();
    }

    @Test
    void theSameTaskAgainIsSentByteForByteWithoutDrawingNoiseAgain() throws Exception {
        assertThat(pipeline.admit(MODEL, 4, 3, WITH_DP)).isEmpty();
        Outbound released = pipeline.release(trained(4, Deltas.gaussian(9, 500, 0.5), 20));
        pipeline.send(released);

        // the upload broke off, or the coordinator asked again: the kept release answers, nothing is trained
        Outbound again = pipeline.admit(MODEL, 4, 3, WITH_DP).orElseThrow();
        pipeline.send(again);

        assertThat(again).isSameAs(released);
        assertThat(sent.get(1)).isEqualTo(sent.get(0));
        assertThat(headers.get(1).getDeltaSha256()).isEqualTo(headers.get(0).getDeltaSha256());
        assertThat(headers.get(0).getDeltaSha256().toByteArray()).isEqualTo(Sha256.of(sent.get(0)));
        assertThat(headers.get(0).getSiteSignature()).isNotEqualTo(ByteString.EMPTY);
        assertThat(ledger()).hasSize(1);
        assertThat(Participation.open(state).contains("fed-test", 4)).isTrue();
    }

    @Test
    void anotherBaseModelOfTheRoundIsANewRelease() throws Exception {
        pipeline.release(trained(4, Deltas.gaussian(9, 500, 0.5), 20));

        assertThat(pipeline.admit(MODEL, 4, 7, WITH_DP)).isEmpty();
        assertThat(pipeline.admit(MODEL, 5, 3, WITH_DP)).isEmpty();
        assertThat(ledger()).hasSize(1);
    }

    @Test
    void admittingANewRoundLetsGoOfTheLastRoundsReleaseBeforeAnythingIsDownloadedOrTrained() throws Exception {
        assertThat(pipeline.admit(MODEL, 4, 3, WITH_DP)).isEmpty();
        pipeline.release(trained(4, Deltas.gaussian(9, 500, 0.5), 20));
        assertThat(pipeline.admit(MODEL, 4, 3, WITH_DP)).isPresent();

        // round 5 is admitted: round 4's delta and bytes are no longer held while round 5 downloads and trains
        assertThat(pipeline.admit(MODEL, 5, 4, WITH_DP)).isEmpty();

        assertThat(pipeline.admit(MODEL, 4, 3, WITH_DP)).isEmpty();
    }

    @Test
    void thePolicyComesBeforeDpSoARefusedDeltaSpendsNoPrivacy() throws Exception {
        assertThatThrownBy(() -> pipeline.release(trained(1, Deltas.gaussian(9, 500, 0.5), 4)))
                .isInstanceOf(PolicyViolation.class);

        assertThat(state.resolve(PrivacyLedger.FILE_NAME)).doesNotExist();
        assertThat(sent).isEmpty();
        assertThat(Participation.open(state).count("fed-test")).isZero();
    }

    @Test
    void aTaskThePolicyForbidsIsRefusedBeforeAnythingIsTrained() {
        TrainingConfig withoutDp = TrainingConfig.getDefaultInstance();
        PolicyGuard requiresDp = new PolicyGuard(new SitePolicy(null, null, null,
                new SitePolicy.Dp(true, null, null, null, null), null), Participation.open(state));
        OutboundPipeline strict = new OutboundPipeline(requiresDp, new Membership(), new DpFilter(new SitePrivacy(
                requiresDp.policy().dp(), state)), new CompressionFilter(), null, (h, b) -> null, null);

        assertThatThrownBy(() -> strict.admit(MODEL, 1, 0, withoutDp))
                .isInstanceOf(PolicyViolation.class)
                .satisfies(e -> assertThat(((PolicyViolation) e).rule()).isEqualTo("dp.required"));
    }
}
