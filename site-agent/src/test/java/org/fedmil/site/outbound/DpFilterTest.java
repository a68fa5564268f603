package org.fedmil.site.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fedmil.privacy.PrivacyLedger;
import org.fedmil.site.config.SitePolicy;
import org.fedmil.site.policy.PolicyViolation;
import org.fedmil.site.policy.SitePrivacy;
import org.fedmil.site.testing.Deltas;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DpFilterTest {

    private static final SitePolicy.Dp NO_BUDGET = new SitePolicy.Dp(null, null, null, null, null);

    @TempDir
    Path state;

    @Test
    void clipsToTheClipNormAddsNoiseOfSigmaTimesCAndRecordsOneReleaseInTheLedger() throws Exception {
        TensorSet delta = Deltas.gaussian(7, 20_000, 1.0);
        double norm = Deltas.norm(delta);
        double clip = 1.0;
        double sigma = 0.5;

        Outbound out = new DpFilter(new SitePrivacy(NO_BUDGET, state))
                .apply(Deltas.trainedWithDp(3, delta, 40, clip, sigma));

        double[] before = Deltas.flat(delta);
        double[] after = Deltas.flat(out.delta());
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < before.length; i++) {
            double noise = after[i] - before[i] * clip / norm;
            sum += noise;
            squares += noise * noise;
        }
        double mean = sum / before.length;
        double std = Math.sqrt(squares / before.length - mean * mean);
        assertThat(norm).isGreaterThan(100 * clip);
        assertThat(std).isCloseTo(sigma * clip, org.assertj.core.data.Percentage.withPercentage(3));
        assertThat(Math.abs(mean)).isLessThan(0.02);
        assertThat(out.privacy()).hasValueSatisfying(p -> {
            assertThat(p.clipNorm()).isEqualTo(clip);
            assertThat(p.noiseMultiplier()).isEqualTo(sigma);
            assertThat(p.epsilonSpent()).isPositive();
        });
        PrivacyLedger ledger = PrivacyLedger.open(state.resolve(PrivacyLedger.FILE_NAME), SitePolicy.DEFAULT_DELTA);
        assertThat(ledger.releases()).singleElement().satisfies(r -> {
            assertThat(r.federationId()).isEqualTo("fed-test");
            assertThat(r.round()).isEqualTo(3);
            assertThat(r.noiseMultiplier()).isEqualTo(sigma);
        });
    }

    @Test
    void leavesADeltaWithoutDpAloneAndChargesNothing() {
        Outbound in = Deltas.trained(1, Deltas.gaussian(1, 100, 0.1), 10, DeltaEncoding.FLOAT32);

        Outbound out = new DpFilter(new SitePrivacy(NO_BUDGET, state)).apply(in);

        assertThat(out).isSameAs(in);
        assertThat(state.resolve(PrivacyLedger.FILE_NAME)).doesNotExist();
    }

    @Test
    void refusesBeforeTrainingARoundThatWouldExceedTheLifetimeBudget() {
        SitePrivacy tight = new SitePrivacy(new SitePolicy.Dp(true, null, null, null, 0.01), state);
        Outbound.Release asked = Deltas.trainedWithDp(1, Deltas.gaussian(1, 10, 0.1), 10, 1.0, 0.5).release();

        assertThatThrownBy(() -> new DpFilter(tight).requireBudgetFor(asked))
                .isInstanceOf(PolicyViolation.class)
                .satisfies(e -> assertThat(((PolicyViolation) e).rule()).isEqualTo("dp.lifetime_epsilon"));
    }
}
