package org.fedmil.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.fedmil.privacy.RdpAccountant.Conversion;
import org.junit.jupiter.api.Test;

/**
 * Pins the accountant to values published with TensorFlow Privacy and Opacus. Sources (read from the stored copies
 * of the repositories, not recomputed here):
 * <ul>
 *   <li>TF: tensorflow/privacy, tensorflow_privacy/privacy/analysis/rdp_accountant_test.py</li>
 *   <li>TF tutorial: tensorflow/privacy, tutorials/README.md ("Select Parameters" table)</li>
 *   <li>Opacus: pytorch/opacus, opacus/tests/accountants_test.py</li>
 * </ul>
 */
class RdpAccountantTest {

    @Test
    void sampledGaussianAtOneOrderMatchesTfPrivacyScalarTest() {
        // TF test_compute_rdp_scalar: compute_rdp(0.1, 2, 10, 5) == 0.07737 to 5 places
        double[] rdp = RdpAccountant.rdpOfSampledGaussian(0.1, 2, 10, new double[] {5});
        assertThat(rdp[0]).isCloseTo(0.07737, within(5e-6));
    }

    @Test
    void sampledGaussianOverIntegerFractionalAndInfiniteOrdersMatchesTfPrivacySequenceTest() {
        // TF test_compute_rdp_sequence: compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, inf])
        //   == [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307, inf], delta=1e-5
        double[] rdp = RdpAccountant.rdpOfSampledGaussian(0.01, 2.5, 50,
                new double[] {1.5, 2.5, 5, 50, 100, Double.POSITIVE_INFINITY});
        double[] expected = {0.00065, 0.001085, 0.00218075, 0.023846, 167.416307};
        for (int i = 0; i < expected.length; i++) {
            assertThat(rdp[i]).as("order index %d", i).isCloseTo(expected[i], within(1e-5));
        }
        assertThat(rdp[5]).isInfinite();
    }

    @Test
    void everySiteInEveryRoundIsTheClosedFormAlphaOverTwoSigmaSquared() {
        // TF test_compute_rdp_no_sampling: compute_rdp(1, 10, 1, 20) == 0.1 (= α/(2σ²) = 20/200)
        assertThat(RdpAccountant.rdpOfSampledGaussian(1, 10, 1, new double[] {20})[0]).isCloseTo(0.1, within(1e-15));
        // and T releases compose to T·α/(2σ²)
        double[] rdp = RdpAccountant.rdpOfSampledGaussian(1, 0.5, 7, new double[] {1.5, 32, 512});
        assertThat(rdp).containsExactly(new double[] {7 * 1.5 / 0.5, 7 * 32 / 0.5, 7 * 512 / 0.5}, within(1e-12));
    }

    @Test
    void noSamplingCostsNothing() {
        // TF test_compute_rdp_no_data: compute_rdp(0, 10, 1, 20) == 0
        assertThat(RdpAccountant.rdpOfSampledGaussian(0, 10, 1, new double[] {20, 1.5})).containsExactly(0, 0);
    }

    @Test
    void zeroNoiseGivesNoPrivacy() {
        assertThat(RdpAccountant.rdpOfSampledGaussian(0.5, 0, 1, new double[] {2})[0]).isInfinite();
        assertThat(RdpAccountant.epsilonOfSampledGaussian(1, 0, 1, 1e-5).epsilon()).isInfinite();
    }

    @Test
    void tightConversionOfConstantRdpPicksTheLargestOrderAsTfPrivacyDoes() {
        // TF test_get_privacy_spent_check_target_delta: orders range(2, 33), rdp 1.1 everywhere, δ = 1e-5
        //   -> opt_order 32, eps 1.32783806176 (assertAlmostEqual, 7 places)
        double[] orders = new double[31];
        double[] rdp = new double[31];
        for (int i = 0; i < 31; i++) {
            orders[i] = i + 2;
            rdp[i] = 1.1;
        }
        PrivacySpent spent = RdpAccountant.epsilon(orders, rdp, 1e-5);
        assertThat(spent.order()).isEqualTo(32);
        assertThat(spent.epsilon()).isCloseTo(1.32783806176, within(5e-8));
        assertThat(spent.conversion()).isEqualTo(Conversion.TIGHT);
        assertThat(spent.delta()).isEqualTo(1e-5);
    }

    @Test
    void tightConversionOfPlainGaussianCalibratedToEpsilonOneGivesOne() {
        // TF test_get_privacy_spent_check_target_delta, second part: compute_rdp(1, 4.530877117, 1, orders) over
        // orders 0.001·i, i in [1000, 100000), at δ = 1e-6 gives eps 1 (7 places). Order 1.0 itself is left out
        // here (this accountant refuses α ≤ 1; TF's conversion gives ∞ there, so the minimum is unchanged).
        double[] orders = new double[99_000 - 1];
        for (int i = 1001; i < 100_000; i++) {
            orders[i - 1001] = 0.001 * i;
        }
        double[] rdp = RdpAccountant.rdpOfSampledGaussian(1, 4.530877117, 1, orders);
        assertThat(RdpAccountant.epsilon(orders, rdp, 1e-6).epsilon()).isCloseTo(1, within(5e-8));
    }

    @Test
    void classicConversionReproducesTfPrivacyCompositionValue() {
        // TF test_check_composition: orders (1.25, …, 256), compute_rdp(1e-4, .4, 40000) + compute_rdp(0.1, 2, 100)
        // at δ = 1e-5: "These tests use the old RDP -> approx DP conversion": eps 8.509656 (5 places), opt_order 2.5;
        // the new (tight) conversion must not exceed it.
        double[] orders = {1.25, 1.5, 1.75, 2., 2.5, 3., 4., 5., 6., 7., 8., 10., 12., 14., 16., 20., 24., 28., 32.,
            64., 256.};
        RdpBudget budget = RdpBudget.empty(orders).compose(1e-4, 0.4, 40000).compose(0.1, 2, 100);
        PrivacySpent classic = budget.spent(1e-5, Conversion.CLASSIC);
        assertThat(classic.epsilon()).isCloseTo(8.509656, within(5e-6));
        assertThat(classic.order()).isEqualTo(2.5);
        assertThat(budget.spent(1e-5).epsilon()).isLessThanOrEqualTo(8.509656);
    }

    @Test
    void opacusRdpAccountantExampleWithItsDefaultOrders() {
        // Opacus test_rdp_accountant: noise 1.5, sample rate 0.04, steps int(90 / 0.04) = 2250, δ = 1e-5
        //   -> get_epsilon 7.32911117143 (assertAlmostEqual, 7 places). Opacus' RDPAccountant uses the tight
        //   (Balle et al. 2020) conversion and DEFAULT_ALPHAS = [1 + x / 10.0 for x in range(1, 100)]
        //   + list(range(12, 64)), i.e. TF's default orders without 128, 256, 512.
        double[] orders = new double[99 + 52];
        for (int x = 1; x < 100; x++) {
            orders[x - 1] = 1 + x / 10.0;
        }
        for (int a = 12; a < 64; a++) {
            orders[99 + a - 12] = a;
        }
        double[] rdp = RdpAccountant.rdpOfSampledGaussian(0.04, 1.5, 2250, orders);
        assertThat(RdpAccountant.epsilon(orders, rdp, 1e-5).epsilon()).isCloseTo(7.32911117143, within(5e-8));
    }

    @Test
    void tfPrivacyMnistTutorialDefaultSettingGivesItsPublishedEpsilon() {
        // TF tutorials/README.md, "Select Parameters", first row (the default setting): noise multiplier 1.12,
        // 256 per batch of 60000, 60 epochs, δ = 1e-5 -> "Privacy eps 2.92" (2 decimals). The tutorial's
        // compute_epsilon uses steps = epochs · 60000 // 256 and the orders [1 + x / 10.0 for x in range(1, 100)]
        // + list(range(12, 64)); the published 2.92 came from the classic conversion of that time.
        double[] orders = new double[99 + 52];
        for (int x = 1; x < 100; x++) {
            orders[x - 1] = 1 + x / 10.0;
        }
        for (int a = 12; a < 64; a++) {
            orders[99 + a - 12] = a;
        }
        double[] rdp = RdpAccountant.rdpOfSampledGaussian(256 / 60000.0, 1.12, 60 * 60000 / 256, orders);
        assertThat(RdpAccountant.epsilon(orders, rdp, 1e-5, Conversion.CLASSIC).epsilon()).isCloseTo(2.92,
                within(0.005));
        // not the tight conversion: that gives about 2.52 here, so 2.92 pins which conversion was published
        assertThat(RdpAccountant.epsilon(orders, rdp, 1e-5).epsilon()).isLessThan(2.9);
    }

    @Test
    void defaultOrdersAreTfPrivacys() {
        double[] orders = RdpAccountant.defaultOrders();
        assertThat(orders).hasSize(154);
        assertThat(orders[0]).isEqualTo(1.1);
        assertThat(orders[98]).isEqualTo(10.9);
        assertThat(orders[99]).isEqualTo(12);
        assertThat(orders[150]).isEqualTo(63);
        assertThat(orders[151]).isEqualTo(128);
        assertThat(orders[153]).isEqualTo(512);
    }

    @Test
    void tightConversionIsNeverLooserThanClassic() {
        double[] orders = RdpAccountant.defaultOrders();
        for (double sigma : new double[] {0.3, 1, 4}) {
            double[] rdp = RdpAccountant.rdpOfSampledGaussian(1, sigma, 10, orders);
            assertThat(RdpAccountant.epsilon(orders, rdp, 1e-5).epsilon())
                    .isLessThan(RdpAccountant.epsilon(orders, rdp, 1e-5, Conversion.CLASSIC).epsilon());
        }
    }

    @Test
    void rdpComposesByAdditionAcrossReleases() {
        RdpBudget twoSteps = RdpBudget.empty().compose(0.3, 1.1, 1).compose(0.3, 1.1, 1);
        RdpBudget atOnce = RdpBudget.empty().compose(0.3, 1.1, 2);
        assertThat(twoSteps.rdp()).containsExactly(atOnce.rdp(), within(1e-12));
        assertThat(atOnce.spent(1e-5).epsilon()).isGreaterThan(RdpBudget.empty().compose(0.3, 1.1, 1)
                .spent(1e-5).epsilon());
    }

    @Test
    void refusesOrdersAtOrBelowOneAndDeltasOutsideTheUnitInterval() {
        assertThatThrownBy(() -> RdpAccountant.rdpOfSampledGaussian(0.5, 1, 1, new double[] {1.0}))
                .hasMessageContaining("order must be > 1");
        assertThatThrownBy(() -> RdpAccountant.epsilon(new double[] {2}, new double[] {1}, 0))
                .hasMessageContaining("δ must be in (0, 1)");
        assertThatThrownBy(() -> RdpAccountant.rdpOfSampledGaussian(1.5, 1, 1, new double[] {2}))
                .hasMessageContaining("q must be in [0, 1]");
    }

    @Test
    void logErfcIsAccurateInTheFarTailWhereErfcUnderflows() {
        // erfc(30) underflows a double; its log has the Laurent series at infinity that TF Privacy's _log_erfc
        // falls back on: -x² - log(x√π) - 0.5/x² + 0.625/x⁴ - 37/24/x⁶ + 353/64/x⁸
        double x = 30;
        double asymptotic = -x * x - Math.log(x * Math.sqrt(Math.PI)) - 0.5 / (x * x) + 0.625 / Math.pow(x, 4)
                - 37.0 / 24 / Math.pow(x, 6) + 353.0 / 64 / Math.pow(x, 8);
        assertThat(RdpAccountant.logErfc(x)).isCloseTo(asymptotic, within(1e-11));
        // erfc(0) = 1, erfc(1) = 0.157299207050285 (tables), erfc(-3) = 2 - erfc(3) = 1.999977909503
        assertThat(RdpAccountant.logErfc(0)).isCloseTo(0, within(1e-15));
        assertThat(Math.exp(RdpAccountant.logErfc(1))).isCloseTo(0.157299207050285, within(1e-14));
        assertThat(Math.exp(RdpAccountant.logErfc(3))).isCloseTo(2.209049699858544e-5, within(1e-18));
        assertThat(Math.exp(RdpAccountant.logErfc(-3))).isCloseTo(2 - 2.209049699858544e-5, within(1e-14));
    }
}
