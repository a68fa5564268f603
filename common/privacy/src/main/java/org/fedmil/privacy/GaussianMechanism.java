package org.fedmil.privacy;

import java.security.NoSuchAlgorithmException;
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
 * <p>Memory: the input is read twice (norm, then clip + noise) and written once into fresh arrays; no boxing and no
 * second copy, so a 50M-parameter delta needs its 200 MB twice, not more. Noise comes from bulk random bytes turned
 * into normals by the Box–Muller transform, because {@code SecureRandom.nextGaussian} makes two synchronised engine
 * calls per normal and would take minutes on such a delta.
 */
public final class GaussianMechanism {

    private static final int RANDOM_BLOCK_BYTES = 1 << 16;
    private static final double TWO_PI = 2 * Math.PI;
    private static final double TWO_POW_MINUS_53 = 0x1.0p-53;

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
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM offers no DRBG SecureRandom (Java 9+ should); differential "
                    + "privacy noise needs a cryptographically strong source", e);
        }
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
        double std = noiseMultiplier * clipNorm;
        NormalSource normals = new NormalSource(random);
        List<NamedTensor> out = new ArrayList<>(delta.tensors().size());
        for (NamedTensor t : delta.tensors()) {
            float[] in = t.values();
            float[] noised = new float[in.length];
            for (int i = 0; i < in.length; i++) {
                noised[i] = (float) (in[i] * scale + std * normals.next());
            }
            out.add(new NamedTensor(t.name(), t.shape(), noised));
        }
        return new Release(new TensorSet(out), norm, clip, clipNorm, noiseMultiplier);
    }

    /** Standard normals by Box–Muller from uniform doubles built from 53 random bits each, read in blocks. */
    private static final class NormalSource {
        private final Random random;
        private final byte[] block = new byte[RANDOM_BLOCK_BYTES];
        private int position = RANDOM_BLOCK_BYTES;
        private double spare;
        private boolean hasSpare;

        NormalSource(Random random) {
            this.random = random;
        }

        double next() {
            if (hasSpare) {
                hasSpare = false;
                return spare;
            }
            double u1 = (nextBits53() + 1) * TWO_POW_MINUS_53; // (0, 1]: log stays finite
            double u2 = nextBits53() * TWO_POW_MINUS_53; // [0, 1)
            double r = Math.sqrt(-2 * Math.log(u1));
            double theta = TWO_PI * u2;
            spare = r * Math.sin(theta);
            hasSpare = true;
            return r * Math.cos(theta);
        }

        private long nextBits53() {
            if (position + 8 > block.length) {
                random.nextBytes(block);
                position = 0;
            }
            long bits = 0;
            for (int k = 0; k < 8; k++) {
                bits = (bits << 8) | (block[position++] & 0xFFL);
            }
            return bits >>> 11;
        }
    }
}
