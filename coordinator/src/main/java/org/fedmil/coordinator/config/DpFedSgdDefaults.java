package org.fedmil.coordinator.config;

import org.fedmil.coordinator.config.CoordinatorConfig.Dp;
import org.fedmil.privacy.NoiseCalibration;

/** What training.dp fills in for mode dp_fedsgd when the file leaves it out. */
final class DpFedSgdDefaults {

    private DpFedSgdDefaults() {
    }

    /**
     * dp_fedsgd with what was left out filled in: K_min = secure aggregation's threshold at {@code minSites} sites
     * (max(min_updates, ⌊K/2⌋ + 1), at most K), and σ = the smallest noise multiplier whose {@code rounds}
     * sampled-Gaussian steps at q stay within (target_epsilon, delta) ({@link NoiseCalibration}). The other modes,
     * and a section with values out of range (validation then names them), come back as they are.
     */
    static Dp apply(Dp dp, int minSites, int minUpdates, int rounds) {
        if (!dp.fedSgd()) {
            return dp;
        }
        Integer kMin = dp.minNoisedSites() != null ? dp.minNoisedSites()
                : Math.min(minSites, Math.max(minUpdates, minSites / 2 + 1));
        Double sigma = dp.noiseMultiplier();
        Double q = dp.samplingRate();
        Double target = dp.targetEpsilon();
        double delta = dp.deltaOrDefault();
        if (sigma == null && target != null && target > 0 && Double.isFinite(target) && q != null && q > 0 && q <= 1
                && delta > 0 && delta < 1 && rounds >= 1) {
            try {
                sigma = NoiseCalibration.noiseMultiplierFor(target, delta, q, rounds);
            } catch (IllegalArgumentException unreachable) {
                sigma = null; // validation names target_epsilon with the reason
            }
        }
        return new Dp(dp.clipNorm(), sigma, dp.distributed(), dp.mode(), q, target, dp.delta(), kMin);
    }
}
