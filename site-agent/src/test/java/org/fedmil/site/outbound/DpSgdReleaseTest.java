package org.fedmil.site.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;
import org.fedmil.privacy.PrivacyLedger;
import org.fedmil.privacy.RdpAccountant;
import org.fedmil.proto.v1.DifferentialPrivacy;
import org.fedmil.proto.v1.DpMode;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.site.config.SitePolicy;
import org.fedmil.site.policy.PolicyViolation;
import org.fedmil.site.policy.SitePrivacy;
import org.fedmil.site.testing.Deltas;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A delta trained under patient-level DP-SGD: not noised again, charged as the round's steps at rate q. */
class DpSgdReleaseTest {

    private static final SitePolicy.Dp NO_BUDGET = new SitePolicy.Dp(null, null, null, null, null);

    @TempDir
    Path state;

    private static Outbound trainedUnderDpSgd(int round, TensorSet delta, double q, int steps) {
        return Outbound.trained("fed-test", round, round - 1, new byte[32], new Outbound.Release(
                OptionalDouble.of(1.0), OptionalDouble.of(1.2), DeltaEncoding.FLOAT32,
                Optional.of(new Outbound.Release.PerBag(q, steps))), delta, 40, 0.5);
    }

    @Test
    void theTaskSaysHowManyStepsARoundIs() {
        TrainingConfig c = TrainingConfig.newBuilder().setLocalEpochs(2).setDp(DifferentialPrivacy.newBuilder()
                .setClipNorm(1.0).setNoiseMultiplier(1.2).setMode(DpMode.DP_SGD_PER_BAG).setSamplingRate(0.25))
                .build();
        Outbound.Release r = Outbound.Release.of(c);
        assertThat(r.dpSgd()).contains(new Outbound.Release.PerBag(0.25, 8));
        TrainingConfig siteLevel = c.toBuilder().setDp(c.getDp().toBuilder().setMode(DpMode.DP_SITE)).build();
        assertThat(Outbound.Release.of(siteLevel).dpSgd()).isEmpty();
    }

    @Test
    void theDeltaIsSentAsItIsAndTheLedgerChargesItsStepsAtTheSamplingRate() throws Exception {
        TensorSet delta = Deltas.gaussian(3, 1000, 5.0);
        Outbound out = new DpFilter(new SitePrivacy(NO_BUDGET, state)).apply(trainedUnderDpSgd(2, delta, 0.1, 10));

        assertThat(Deltas.flat(out.delta())).containsExactly(Deltas.flat(delta));
        double expected = RdpAccountant.epsilonOfSampledGaussian(0.1, 1.2, 10, SitePolicy.DEFAULT_DELTA).epsilon();
        assertThat(out.privacy()).hasValueSatisfying(p -> {
            assertThat(p.samplingRate()).isEqualTo(0.1);
            assertThat(p.noiseMultiplier()).isEqualTo(1.2);
            assertThat(p.epsilonSpent()).isCloseTo(expected, within(1e-9));
        });
        PrivacyLedger ledger = PrivacyLedger.open(state.resolve(PrivacyLedger.FILE_NAME), SitePolicy.DEFAULT_DELTA);
        assertThat(ledger.releases()).singleElement().satisfies(r -> {
            assertThat(r.steps()).isEqualTo(10);
            assertThat(r.samplingRate()).isEqualTo(0.1);
        });
    }

    @Test
    void aRoundOfStepsPastTheLifetimeBudgetIsRefusedBeforeTraining() {
        double oneRound = RdpAccountant.epsilonOfSampledGaussian(0.1, 1.2, 10, SitePolicy.DEFAULT_DELTA).epsilon();
        SitePrivacy tight = new SitePrivacy(new SitePolicy.Dp(true, null, null, null, oneRound * 0.9), state);
        Outbound.Release asked = trainedUnderDpSgd(1, Deltas.gaussian(1, 10, 0.1), 0.1, 10).release();

        assertThatThrownBy(() -> new DpFilter(tight).requireBudgetFor(asked))
                .isInstanceOf(PolicyViolation.class)
                .satisfies(e -> assertThat(((PolicyViolation) e).rule()).isEqualTo("dp.lifetime_epsilon"));
        // a budget just above one round's cost lets it through
        SitePrivacy roomy = new SitePrivacy(new SitePolicy.Dp(true, null, null, null, oneRound * 1.01), state);
        new DpFilter(roomy).requireBudgetFor(asked);
    }
}
