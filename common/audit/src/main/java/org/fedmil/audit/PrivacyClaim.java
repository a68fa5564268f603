package org.fedmil.audit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a site states about the differential privacy of one update: it clipped the delta to L2 norm
 * {@code clipNorm}, added Gaussian noise of standard deviation {@code noiseMultiplier × clipNorm} to every
 * coordinate, took part with probability {@code samplingRate}, and its own ledger puts its lifetime spend, this
 * update included, at ({@code epsilonSpent}, {@code delta}).
 */
public record PrivacyClaim(double clipNorm, double noiseMultiplier, double samplingRate, double delta,
                           double epsilonSpent) {

    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("clip_norm", clipNorm);
        f.put("noise_multiplier", noiseMultiplier);
        f.put("sampling_rate", samplingRate);
        f.put("delta", delta);
        f.put("epsilon_spent", epsilonSpent);
        return f;
    }

    public static PrivacyClaim of(Map<String, Object> m) {
        return new PrivacyClaim(Statement.real(m, "clip_norm"), Statement.real(m, "noise_multiplier"),
                Statement.real(m, "sampling_rate"), Statement.real(m, "delta"), Statement.real(m, "epsilon_spent"));
    }
}
