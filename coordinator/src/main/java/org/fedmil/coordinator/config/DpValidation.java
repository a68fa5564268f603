package org.fedmil.coordinator.config;

import static org.fedmil.coordinator.config.KeyCheck.check;

import java.nio.file.Path;
import org.fedmil.coordinator.config.CoordinatorConfig.Dp;

/** The checks of training.dp: its values' ranges and which modes combine with secure aggregation. */
final class DpValidation {

    private DpValidation() {
    }

    static void validate(Path file, Dp dp, boolean secureAggregation) {
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
                dp.mode(), Dp.SITE_DP + " (noise on each site's delta) or " + Dp.PATIENT_DP_SGD
                        + " (DP-SGD per bag inside local training)");
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
