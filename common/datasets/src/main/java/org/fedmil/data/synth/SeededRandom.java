package org.fedmil.data.synth;

/**
 * SplitMix64 with StrictMath transforms. java.util.Random and SplittableRandom are not used because their
 * Gaussian sampler is an implementation detail of the JDK (and Math.log/cos may differ between CPUs), while
 * the generated files must be byte-identical for a given seed on every machine and JDK.
 */
final class SeededRandom {

    private long state;

    private SeededRandom(long state) {
        this.state = state;
    }

    /**
     * An independent stream for a (seed, key...) combination, so that e.g. changing the number of held-out
     * bags does not change a single site's data.
     */
    static SeededRandom of(long seed, long... keys) {
        long s = mix(seed ^ 0x6A09E667F3BCC909L);
        for (long k : keys) {
            s = mix(s ^ mix(k + 0x9E3779B97F4A7C15L));
        }
        return new SeededRandom(s);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    /** Uniform in [0, 1). */
    double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound). */
    int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        // Rejection keeps it unbiased; with bound << 2^31 it practically never loops.
        long limit = (1L << 31) - ((1L << 31) % bound);
        long r;
        do {
            r = nextLong() >>> 33;
        } while (r >= limit);
        return (int) (r % bound);
    }

    /** Standard normal by Box-Muller; the second variate is discarded to keep the stream simple. */
    double nextGaussian() {
        double u1 = 1.0 - nextDouble(); // (0, 1], so the log is finite
        double u2 = nextDouble();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * StrictMath.PI * u2);
    }

    /** Gamma(shape, 1) by Marsaglia and Tsang, boosted for shape < 1. */
    double nextGamma(double shape) {
        if (shape < 1.0) {
            double u = 1.0 - nextDouble();
            return nextGamma(shape + 1.0) * StrictMath.pow(u, 1.0 / shape);
        }
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / StrictMath.sqrt(9.0 * d);
        while (true) {
            double x = nextGaussian();
            double v = 1.0 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = 1.0 - nextDouble();
            if (StrictMath.log(u) < 0.5 * x * x + d - d * v + d * StrictMath.log(v)) {
                return d * v;
            }
        }
    }

    /** Dirichlet with the given concentrations. */
    double[] nextDirichlet(double[] alpha) {
        double[] g = new double[alpha.length];
        double sum = 0;
        for (int i = 0; i < alpha.length; i++) {
            g[i] = nextGamma(alpha[i]);
            sum += g[i];
        }
        for (int i = 0; i < g.length; i++) {
            g[i] /= sum;
        }
        return g;
    }

    /** Index drawn with the given probabilities (summing to 1). */
    int nextCategorical(double[] p) {
        double u = nextDouble();
        double acc = 0;
        for (int i = 0; i < p.length - 1; i++) {
            acc += p[i];
            if (u < acc) {
                return i;
            }
        }
        return p.length - 1;
    }

    /** Fisher-Yates shuffle. */
    void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}
