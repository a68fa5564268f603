package org.fedmil.privacy;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;

/**
 * The Gaussian mechanism on a site's weight delta: clip the whole delta (all tensors together) to L2 norm C, then
 * add independent N(0, (σC)²) noise to every coordinate. With C as the L2 sensitivity of one site's contribution,
 * one release costs the RDP that {@link RdpAccountant} computes for noise multiplier σ.
 *
 * <p>σ must be &gt; 0: clipping without noise is not differentially private, and a "DP" release with ε = ∞ is a
 * mistake worth refusing early rather than a configuration to honour.
 *
 * <p>Float-free noise (Mironov, CCS 2012: floating-point noise has data-dependent gaps that can reveal the exact
 * input). The clipped delta is put on the grid γ = 2^−k with C/γ in [2^40, 2^41) by rounding each coordinate,
 * and exact discrete Gaussian noise ({@link DiscreteGaussian}, Canonne, Kamath &amp; Steinke 2020) is added to
 * the integers. The rounded query has L2 sensitivity at most C/γ·(1 + 10^−6) + √d/2 grid steps (rounding moves
 * each coordinate by at most ½; the factor covers the floating-point clip), and the noise's σ is the noise
 * multiplier times that bound, so the release is at least as private as the continuous Gaussian mechanism at
 * noise multiplier σ. Turning the noised integers back into float32 happens after the noise: post-processing.
 * The extra noise over σ·C is a relative √d/2^41 (below 10^−9 for a million weights); the rounding moves each
 * coordinate by at most γ/2 = C·2^−41 before the noise. σ·C/γ must stay below 2^50 (σ below 512).
 *
 * <p>Memory: the input is read twice (norm, then clip + noise) and written once into fresh arrays; no boxing and no
 * second copy, so a 50M-parameter delta needs its 200 MB twice, not more. Random bytes are read from the source in
 * blocks, because {@code SecureRandom} calls are synchronised and one per coordinate would dominate.
 */
public final class GaussianMechanism {

    /** C/γ lies in [2^GRID_BITS, 2^(GRID_BITS+1)): fine enough that rounding to the grid costs nothing visible. */
    static final int GRID_BITS = 40;
    /** Slack on the clip, for the rounding of the norm and of the scale factor in floating point. */
    private static final double CLIP_SLACK = 1e-6;

    private final double clipNorm;
    private final double noiseMultiplier;
    private final Random random;

    /** With noise from a strong DRBG ({@code SecureRandom.getInstance("DRBG")}, seeded by the platform). */
    public GaussianMechanism(double clipNorm, double noiseMultiplier) {
        this(clipNorm, noiseMultiplier, strongRandom());
    }

    /**
     * With noise from {@code random}: tests pass a seeded {@link Random}; production must pass a {@link SecureRandom}
     * (an ordinary {@code Random} can be predicted from its output and the noise subtracted).
     */
    public GaussianMechanism(double clipNorm, double noiseMultiplier, Random random) {
        if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clip norm C must be finite and > 0, got " + clipNorm);
        }
        if (!(noiseMultiplier > 0) || Double.isInfinite(noiseMultiplier)) {
            throw new IllegalArgumentException("noise multiplier σ must be finite and > 0, got " + noiseMultiplier
                    + "; σ = 0 would release the clipped delta with no privacy (ε = ∞). To train without DP, do "
                    + "not apply the mechanism at all");
        }
        this.clipNorm = clipNorm;
        this.noiseMultiplier = noiseMultiplier;
        this.random = Objects.requireNonNull(random, "random");
    }

    private static SecureRandom strongRandom() {
        return StrongRandom.drbg("differential privacy noise");
    }

    /**
     * What the site releases.
     *
     * @param noised             clipped delta plus noise, same specs and order as the input
     * @param normBeforeClipping global L2 norm of the input delta
     * @param clipped            whether the delta was scaled down (its norm exceeded C)
     * @param clipNorm           C
     * @param noiseMultiplier    σ; each coordinate's noise has standard deviation σ·C
     */
    public record Release(TensorSet noised, double normBeforeClipping, boolean clipped, double clipNorm,
                          double noiseMultiplier) {

        public double noiseStandardDeviation() {
            return noiseMultiplier * clipNorm;
        }
    }

    public double clipNorm() {
        return clipNorm;
    }

    public double noiseMultiplier() {
        return noiseMultiplier;
    }

    /** Global L2 norm over all tensors, accumulated in double; refuses NaN or infinite values. */
    public static double l2Norm(TensorSet delta) {
        double sumSquares = 0;
        for (NamedTensor t : delta.tensors()) {
            float[] v = t.values();
            double s = 0;
            for (float x : v) {
                s += (double) x * x;
            }
            if (!Double.isFinite(s)) {
                throw new IllegalArgumentException("tensor '" + t.name() + "' of the delta holds a NaN or infinite "
                        + "value; local training diverged. Do not release it: lower the learning rate or restart "
                        + "from the global model");
            }
            sumSquares += s;
        }
        return Math.sqrt(sumSquares);
    }

    /** Clips {@code delta} to norm C and adds N(0, (σC)²) to every coordinate. The input is not modified. */
    public Release apply(TensorSet delta) {
        double norm = l2Norm(delta);
        boolean clip = norm > clipNorm;
        double scale = clip ? clipNorm / norm : 1.0;
        int k = gridExponent(clipNorm);
        DiscreteGaussian noise = DiscreteGaussian.withSigma(noiseMultiplier * sensitivityInGridSteps(clipNorm,
                delta.parameterCount()), random);
        List<NamedTensor> out = new ArrayList<>(delta.tensors().size());
        for (NamedTensor t : delta.tensors()) {
            float[] in = t.values();
            float[] noised = new float[in.length];
            for (int i = 0; i < in.length; i++) {
                long onGrid = Math.round(Math.scalb(in[i] * scale, k));
                noised[i] = (float) Math.scalb((double) (onGrid + noise.sample()), -k);
            }
            out.add(new NamedTensor(t.name(), t.shape(), noised));
        }
        return new Release(new TensorSet(out), norm, clip, clipNorm, noiseMultiplier);
    }

    /** k with C·2^k in [2^40, 2^41): the grid step is γ = 2^−k. */
    static int gridExponent(double clipNorm) {
        return GRID_BITS - Math.getExponent(clipNorm);
    }

    /** L2 sensitivity of the clipped delta rounded to the grid, in grid steps: C/γ·(1 + slack) + √d/2. */
    static double sensitivityInGridSteps(double clipNorm, long coordinates) {
        return Math.scalb(clipNorm, gridExponent(clipNorm)) * (1 + CLIP_SLACK) + Math.sqrt((double) coordinates) / 2;
    }
}
