package org.fedmil.coordinator.round;

import org.fedmil.mil.train.DpFedSgd;
import org.fedmil.mil.train.GradientGrid;
import org.fedmil.privacy.RdpAccountant;

/**
 * The coordinator's side of one DP-FedSGD round ({@link DpFedSgd}, docs/privacy.md): the sum of the sites' integer
 * shares is released only when at least K_min shares are in it (each share carries 1/K_min of the noise, so fewer
 * would carry less than σ), and a released sum becomes minus the noised mean gradient, γ·sum / (q·N), which the
 * server optimiser (FedAdam) steps with. N is the training bags of the sites whose shares are in the sum, as their
 * signed upload headers state them (public counts, not the lot: the expected lot q·N of exactly those bags).
 *
 * @param dp     C, σ, q and K_min
 * @param delta  δ of the ε the round log states
 * @param length the model's coordinates
 */
public record DpFedSgdRound(DpFedSgd dp, double delta, int length) {

    /**
     * What the round log keeps of a DP-FedSGD round, released or refused.
     *
     * @param shares             masked shares in the sum (or that arrived, when refused)
     * @param chargedMultiplier  z′, the noise multiplier the sites' ledgers charge (KLS 2021, Proposition 14)
     * @param epsilonRound       ε at δ of this one release (sampled Gaussian at q, z′)
     * @param epsilonThroughRound ε at δ of {@code round} such releases composed: what a site that sent a share in
     *                           every round so far has spent in this federation
     * @param refusal            why the sum was not released; null when it was
     */
    public record Audit(int round, int attempt, boolean released, int shares, int minNoisedSites, double noiseMultiplier,
                 double chargedMultiplier, double samplingRate, double clipNorm, long trainingBags, double delta,
                 double epsilonRound, double epsilonThroughRound, String refusal) {
    }

    GradientGrid grid() {
        return dp.grid(length);
    }

    /** z′ of this round's shares, which is what each site's ledger charged. */
    double chargedMultiplier() {
        return dp.centralNoiseMultiplier(grid(), length);
    }

    /** Why a sum of {@code shares} shares may not be released, or null when it may. */
    String refusal(int round, int shares) {
        if (shares >= dp.minNoisedSites()) {
            return null;
        }
        return "round " + round + ": only " + shares + " DP-FedSGD shares were masked in time, fewer than "
                + "min_noised_sites K_min = " + dp.minNoisedSites() + "; each share carries 1/K_min of the noise, "
                + "so their sum would be less private than noise multiplier " + dp.noiseMultiplier() + " promises. "
                + "The sum is not unmasked and the model does not change";
    }

    /**
     * The server optimiser's pseudo-delta from the unmasked sum of the shares (grid units, ring-wrapped), N the
     * training bags of the sites in the sum.
     */
    float[] pseudoDelta(long[] unmaskedSum, long trainingBags) {
        return dp.pseudoDelta(unmaskedSum, grid(), trainingBags);
    }

    /** @param trainingBags N of the sum (released), or the stated bags of the shares that arrived (refused) */
    Audit audit(int round, int attempt, int shares, long trainingBags, String refusal) {
        double z = chargedMultiplier();
        double q = dp.samplingRate();
        double one = RdpAccountant.epsilonOfSampledGaussian(q, z, 1, delta).epsilon();
        double through = RdpAccountant.epsilonOfSampledGaussian(q, z, Math.max(1, round), delta).epsilon();
        return new Audit(round, attempt, refusal == null, shares, dp.minNoisedSites(), dp.noiseMultiplier(), z, q,
                dp.clipNorm(), trainingBags, delta, one, through, refusal);
    }
}
