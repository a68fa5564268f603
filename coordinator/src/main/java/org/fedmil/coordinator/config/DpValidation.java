package org.fedmil.coordinator.config;

import static org.fedmil.coordinator.config.KeyCheck.check;

import java.nio.file.Path;
import org.fedmil.coordinator.config.CoordinatorConfig.Dp;

/** The checks of training.dp: its values' ranges and which modes combine with secure aggregation. */
final class DpValidation {

    private DpValidation() {
    }

    static void validate(Path file, CoordinatorConfig c) {
        Dp dp = c.training().dp();
        if (dp.fedSgd()) {
            validateFedSgd(file, c, dp);
        } else {
            validate(file, dp, c.secureAggregation());
            check(file, dp.targetEpsilon() == null && dp.delta() == null && dp.minNoisedSites() == null,
                    "training.dp", "target_epsilon/delta/min_noised_sites", "left out: they are for mode "
                            + Dp.DP_FEDSGD + " only (the other modes take noise_multiplier)");
        }
    }

    /**
     * DP-FedSGD: secure aggregation on (the noise is split among the sites and only the sum is seen), C and q in
     * range, σ given or calibrated from a target ε, K_min between 1 and min_sites, FedAdam at the server.
     */
    private static void validateFedSgd(Path file, CoordinatorConfig c, Dp dp) {
        check(file, c.secureAggregation(), "secure_aggregation", c.secureAggregation(), "true with training.dp.mode "
                + Dp.DP_FEDSGD + ": each site adds only a share of the noise, so only a securely aggregated sum "
                + "of at least min_noised_sites shares is private");
        check(file, dp.clipNorm() != null && dp.clipNorm() > 0 && Double.isFinite(dp.clipNorm()),
                "training.dp.clip_norm", dp.clipNorm(), "a positive number (the L2 norm each bag's gradient is "
                        + "clipped to)");
        check(file, dp.samplingRate() != null && dp.samplingRate() > 0 && dp.samplingRate() <= 1,
                "training.dp.sampling_rate", dp.samplingRate(), "a number in (0, 1], each bag's chance of being in "
                        + "a round's lot (" + Dp.DP_FEDSGD + " needs it)");
        check(file, !dp.distributed(), "training.dp.distributed", dp.distributed(), "left out with mode "
                + Dp.DP_FEDSGD + ": its noise is always distributed among the sites");
        check(file, dp.deltaOrDefault() > 0 && dp.deltaOrDefault() < 1, "training.dp.delta", dp.delta(),
                "a number in (0, 1), e.g. 1e-5 (below 1 / the federation's patients)");
        check(file, dp.targetEpsilon() == null || (dp.targetEpsilon() > 0 && Double.isFinite(dp.targetEpsilon())),
                "training.dp.target_epsilon", dp.targetEpsilon(), "a positive number (the patient-level ε the "
                        + "whole run may spend)");
        check(file, dp.noiseMultiplier() != null, "training.dp.target_epsilon", dp.targetEpsilon(),
                dp.targetEpsilon() == null ? "set (or set noise_multiplier): " + Dp.DP_FEDSGD + " needs one of them"
                        : "reachable over rounds = " + c.rounds() + " at sampling_rate " + dp.samplingRate()
                        + " with a noise multiplier of at most 1000; lower rounds or sampling_rate");
        check(file, dp.noiseMultiplier() > 0 && Double.isFinite(dp.noiseMultiplier()) && dp.noiseMultiplier() <= 16,
                "training.dp.noise_multiplier", dp.noiseMultiplier(), "a number in (0, 16] (the exact sampler's "
                        + "range); set a larger target_epsilon or fewer rounds if calibration gave more");
        int minSites = c.minSites();
        check(file, dp.minNoisedSites() != null && dp.minNoisedSites() >= 2 && dp.minNoisedSites() <= minSites, "training.dp.min_noised_sites",
                dp.minNoisedSites(), "between 2 and min_sites = " + minSites + ": a sum is released only when at "
                        + "least this many sites' noise shares are in it, so it cannot exceed the sites expected");
        check(file, "fedadam".equals(c.strategy().name()), "strategy.name", c.strategy().name(), "fedadam with mode "
                + Dp.DP_FEDSGD + ": the coordinator steps its FedAdam server optimiser with the noised mean "
                + "gradient (strategy.server_learning_rate is its learning rate)");
    }

    private static void validate(Path file, Dp dp, boolean secureAggregation) {
        check(file, dp.clipNorm() != null && dp.clipNorm() > 0 && Double.isFinite(dp.clipNorm()),
                "training.dp.clip_norm", dp.clipNorm(), "a positive number (the L2 norm each delta is clipped to)");
        check(file, dp.noiseMultiplier() != null && dp.noiseMultiplier() > 0
                        && Double.isFinite(dp.noiseMultiplier()), "training.dp.noise_multiplier",
                dp.noiseMultiplier(), "a positive number (noise standard deviation in units of clip_norm)");
        check(file, !dp.distributed() || secureAggregation, "training.dp.distributed", dp.distributed(),
                "false unless secure_aggregation is true: distributed noise is added in secure aggregation's "
                        + "mask step, and without it no site would noise its delta");
        check(file, !dp.distributed() || dp.noiseMultiplier() <= 16, "training.dp.noise_multiplier",
                dp.noiseMultiplier(), "at most 16 with training.dp.distributed (the exact sampler's range)");
        check(file, dp.mode() == null || dp.mode().equals(Dp.SITE_DP) || dp.patientLevel(), "training.dp.mode",
                dp.mode(), Dp.SITE_DP + " (noise on each site's delta), " + Dp.PATIENT_DP_SGD
                        + " (DP-SGD per bag inside local training) or " + Dp.DP_FEDSGD + " (DP-FedSGD under secure "
                        + "aggregation)");
        check(file, dp.patientLevel() == (dp.samplingRate() != null), "training.dp.sampling_rate",
                dp.samplingRate(), dp.patientLevel() ? "a number in (0, 1], each bag's chance of being in a "
                        + "DP-SGD step's lot (patient_dp_sgd needs it)"
                        : "left out: it is for mode " + Dp.PATIENT_DP_SGD + " only");
        check(file, dp.samplingRate() == null || (dp.samplingRate() > 0 && dp.samplingRate() <= 1),
                "training.dp.sampling_rate", dp.samplingRate(), "a number in (0, 1]");
        check(file, !(dp.distributed() && dp.patientLevel()), "training.dp.distributed", dp.distributed(),
                "false with mode " + Dp.PATIENT_DP_SGD + ": DP-SGD adds its noise in training, distributed noise "
                        + "is for site-level DP under secure aggregation; choose one");
    }
}
