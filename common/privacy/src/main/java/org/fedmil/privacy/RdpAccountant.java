package org.fedmil.privacy;

import java.util.Arrays;

/**
 * Rényi-DP accounting for the (Poisson-subsampled) Gaussian mechanism: Mironov 2017, "Rényi Differential Privacy",
 * and Mironov, Talwar, Zhang 2019, "Rényi Differential Privacy of the Sampled Gaussian Mechanism". The maths is that
 * of TensorFlow Privacy's {@code rdp_accountant.py}: log A_α by a binomial sum for integer α and by the two erfc
 * series for fractional α, all in log space so that large orders and small noise do not overflow.
 *
 * <p>Units: {@code noiseMultiplier} σ is the noise standard deviation divided by the L2 sensitivity (the clip norm C).
 * RDP values compose by addition per order, so the RDP of T releases is the sum of their RDP vectors.
 */
public final class RdpAccountant {

    /** How RDP at several orders is turned into an (ε, δ) guarantee. */
    public enum Conversion {
        /** Mironov 2017, Prop. 3: ε = RDP(α) + log(1/δ)/(α − 1). Looser; kept to compare with older published ε. */
        CLASSIC,
        /**
         * Balle et al. 2020 (Thm. 21 of arXiv:1905.09982), also Canonne, Kamath, Steinke 2020:
         * ε = RDP(α) + log1p(−1/α) − (log δ + log α)/(α − 1). What TF Privacy's get_privacy_spent and Opacus use.
         */
        TIGHT
    }

    /** The conversion {@link #epsilon(double[], double[], double)} uses. */
    public static final Conversion DEFAULT_CONVERSION = Conversion.TIGHT;

    private static final double[] DEFAULT_ORDERS = defaultOrderList();

    // Series for fractional orders stop once both new terms are below e^-30 of the total's scale (as TF Privacy does);
    // the cap only guards against a loop that cannot end on pathological input.
    private static final double LOG_TERM_CUTOFF = -30;
    private static final int MAX_SERIES_TERMS = 1_000_000;

    private RdpAccountant() {
    }

    /**
     * TF Privacy's default orders: 1.1, 1.2, …, 10.9, then 12, 13, …, 63, then 128, 256, 512 (154 orders). A fresh
     * copy each call.
     */
    public static double[] defaultOrders() {
        return DEFAULT_ORDERS.clone();
    }

    private static double[] defaultOrderList() {
        double[] out = new double[99 + 52 + 3];
        int k = 0;
        for (int x = 1; x < 100; x++) {
            out[k++] = 1 + x / 10.0;
        }
        for (int a = 12; a < 64; a++) {
            out[k++] = a;
        }
        out[k++] = 128;
        out[k++] = 256;
        out[k] = 512;
        return out;
    }

    /**
     * RDP at each order of {@code steps} releases of the Gaussian mechanism with noise multiplier σ, each applied to
     * a Poisson sample with rate q. q = 1 (everyone takes part) gives the closed form α/(2σ²) per release; q = 0
     * gives 0; an infinite order gives ∞ for q > 0; σ = 0 gives ∞ (no privacy) for q > 0.
     *
     * @param orders Rényi orders, each &gt; 1 (or +∞)
     */
    public static double[] rdpOfSampledGaussian(double q, double noiseMultiplier, int steps, double[] orders) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("sampling rate q must be in [0, 1], got " + q);
        }
        if (!(noiseMultiplier >= 0) || Double.isInfinite(noiseMultiplier)) {
            throw new IllegalArgumentException("noise multiplier must be finite and ≥ 0, got " + noiseMultiplier);
        }
        if (steps < 0) {
            throw new IllegalArgumentException("steps must be ≥ 0, got " + steps);
        }
        double[] rdp = new double[orders.length];
        for (int i = 0; i < orders.length; i++) {
            double alpha = orders[i];
            if (!(alpha > 1)) {
                throw new IllegalArgumentException("Rényi order must be > 1, got " + alpha + " at index " + i
                        + " of " + Arrays.toString(orders));
            }
            rdp[i] = steps == 0 ? 0 : steps * rdpOfOneRelease(q, noiseMultiplier, alpha);
        }
        return rdp;
    }

    private static double rdpOfOneRelease(double q, double sigma, double alpha) {
        if (q == 0) {
            return 0;
        }
        if (sigma == 0 || Double.isInfinite(alpha)) {
            return Double.POSITIVE_INFINITY;
        }
        if (q == 1) {
            return alpha / (2 * sigma * sigma);
        }
        double logA = alpha == Math.rint(alpha) && alpha < Integer.MAX_VALUE
                ? logAInteger(q, sigma, (int) alpha)
                : logAFractional(q, sigma, alpha);
        return logA / (alpha - 1);
    }

    /** log A_α for integer α, 0 &lt; q &lt; 1: the finite binomial sum of MTZ 2019, Sec. 3.3. */
    private static double logAInteger(double q, double sigma, int alpha) {
        double logA = Double.NEGATIVE_INFINITY;
        double logBinom = 0; // log C(α, 0)
        double logQ = Math.log(q);
        double log1mQ = Math.log1p(-q);
        for (int i = 0; i <= alpha; i++) {
            if (i > 0) {
                logBinom += Math.log(alpha - i + 1) - Math.log(i);
            }
            double s = logBinom + i * logQ + (alpha - i) * log1mQ + ((double) i * i - i) / (2 * sigma * sigma);
            logA = logAdd(logA, s);
        }
        return logA;
    }

    /** log A_α for fractional α, 0 &lt; q &lt; 1: the two series split at z0 (MTZ 2019, Sec. 3.3). */
    private static double logAFractional(double q, double sigma, double alpha) {
        double logA0 = Double.NEGATIVE_INFINITY;
        double logA1 = Double.NEGATIVE_INFINITY;
        double z0 = sigma * sigma * Math.log(1 / q - 1) + 0.5;
        double logQ = Math.log(q);
        double log1mQ = Math.log1p(-q);
        double logHalf = Math.log(0.5);
        double sqrt2Sigma = Math.sqrt(2) * sigma;
        // the generalised binomial coefficient C(α, i), kept as log|C| and its sign
        double logAbsCoef = 0;
        boolean positive = true;
        for (int i = 0; ; i++) {
            if (i > 0) {
                double factor = (alpha - i + 1) / i;
                logAbsCoef += Math.log(Math.abs(factor));
                if (factor < 0) {
                    positive = !positive;
                }
            }
            double j = alpha - i;
            double logT0 = logAbsCoef + i * logQ + j * log1mQ;
            double logT1 = logAbsCoef + j * logQ + i * log1mQ;
            double logE0 = logHalf + logErfc((i - z0) / sqrt2Sigma);
            double logE1 = logHalf + logErfc((z0 - j) / sqrt2Sigma);
            double logS0 = logT0 + ((double) i * i - i) / (2 * sigma * sigma) + logE0;
            double logS1 = logT1 + (j * j - j) / (2 * sigma * sigma) + logE1;
            if (positive) {
                logA0 = logAdd(logA0, logS0);
                logA1 = logAdd(logA1, logS1);
            } else {
                logA0 = logSub(logA0, logS0);
                logA1 = logSub(logA1, logS1);
            }
            if (Math.max(logS0, logS1) < LOG_TERM_CUTOFF) {
                break;
            }
            if (i >= MAX_SERIES_TERMS) {
                throw new ArithmeticException("RDP series did not converge for q=" + q + ", σ=" + sigma + ", α="
                        + alpha + " after " + i + " terms; use integer orders or a larger noise multiplier");
            }
        }
        return logAdd(logA0, logA1);
    }

    /** log(e^x + e^y) without overflow. */
    static double logAdd(double x, double y) {
        double a = Math.min(x, y);
        double b = Math.max(x, y);
        if (a == Double.NEGATIVE_INFINITY) {
            return b;
        }
        return Math.log1p(Math.exp(a - b)) + b;
    }

    /** log(e^x − e^y) for x ≥ y. */
    static double logSub(double x, double y) {
        if (x < y) {
            throw new ArithmeticException("log-space subtraction would go negative: log terms " + x + " < " + y
                    + "; the RDP series lost precision (try integer orders)");
        }
        if (y == Double.NEGATIVE_INFINITY) {
            return x;
        }
        if (x == y) {
            return Double.NEGATIVE_INFINITY;
        }
        double d = Math.expm1(x - y);
        return Double.isInfinite(d) ? x : Math.log(d) + y;
    }

    /**
     * log(erfc(x)), accurate in the far tail where erfc underflows: a Taylor series of erf for |x| &lt; 2.5 and a
     * continued fraction for the tail, evaluated in log space.
     */
    static double logErfc(double x) {
        if (Double.isNaN(x)) {
            return Double.NaN;
        }
        if (x <= -2.5) {
            // erfc(x) = 2 − erfc(−x), erfc(−x) ≤ 4.1e-4
            return Math.log(2 - Math.exp(logErfcTail(-x)));
        }
        if (x < 2.5) {
            return Math.log1p(-erfSeries(x));
        }
        return logErfcTail(x);
    }

    /** erf(x) = 2/√π Σ (−1)ⁿ x^(2n+1) / (n! (2n+1)), converging quickly for |x| &lt; 2.5. */
    private static double erfSeries(double x) {
        double x2 = x * x;
        double term = x; // (−1)ⁿ x^(2n+1) / n!
        double sum = x;
        for (int n = 1; n < 200; n++) {
            term *= -x2 / n;
            double contribution = term / (2 * n + 1);
            sum += contribution;
            if (Math.abs(contribution) < 1e-17 * Math.abs(sum)) {
                break;
            }
        }
        return 2 / Math.sqrt(Math.PI) * sum;
    }

    /**
     * log erfc(x) for x ≥ 2.5 from erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), by the modified
     * Lentz method.
     */
    private static double logErfcTail(double x) {
        double tiny = 1e-300;
        double f = x;
        double c = x;
        double d = 0;
        for (int k = 1; k < 10_000; k++) {
            double a = k / 2.0;
            d = x + a * d;
            d = Math.abs(d) < tiny ? tiny : d;
            c = x + a / c;
            c = Math.abs(c) < tiny ? tiny : c;
            d = 1 / d;
            double delta = c * d;
            f *= delta;
            if (Math.abs(delta - 1) < 1e-16) {
                break;
            }
        }
        return -x * x - 0.5 * Math.log(Math.PI) - Math.log(f);
    }

    /** ε at δ with the default (tight) conversion. */
    public static PrivacySpent epsilon(double[] orders, double[] rdp, double delta) {
        return epsilon(orders, rdp, delta, DEFAULT_CONVERSION);
    }

    /** The smallest ε over the orders at which {@code rdp} (one value per order) gives (ε, δ)-DP. */
    public static PrivacySpent epsilon(double[] orders, double[] rdp, double delta, Conversion conversion) {
        if (orders.length != rdp.length) {
            throw new IllegalArgumentException("orders and RDP values differ in length: " + orders.length + " vs "
                    + rdp.length);
        }
        if (!(delta > 0 && delta < 1)) {
            throw new IllegalArgumentException("δ must be in (0, 1), got " + delta);
        }
        double best = Double.POSITIVE_INFINITY;
        double bestOrder = Double.NaN;
        for (int i = 0; i < orders.length; i++) {
            double a = orders[i];
            double r = rdp[i];
            if (!(a > 1)) {
                throw new IllegalArgumentException("Rényi order must be > 1, got " + a + " at index " + i);
            }
            if (!(r >= 0)) {
                throw new IllegalArgumentException("RDP must be ≥ 0, got " + r + " at order " + a);
            }
            double eps;
            if (Double.isInfinite(a) || Double.isInfinite(r)) {
                eps = Double.POSITIVE_INFINITY;
            } else if (conversion == Conversion.CLASSIC) {
                eps = r + Math.log(1 / delta) / (a - 1);
            } else if (delta * delta + Math.expm1(-r) >= 0) {
                // δ ≥ √(1 − e^(−KL)) already (Rényi divergence grows with the order, so r bounds KL): ε = 0 holds.
                eps = 0;
            } else if (a > 1.01) {
                eps = r + Math.log1p(-1 / a) - (Math.log(delta) + Math.log(a)) / (a - 1);
            } else {
                // the tight bound is numerically unstable as α → 1 (and useless there); TF Privacy skips these too
                eps = Double.POSITIVE_INFINITY;
            }
            if (eps < best) {
                best = eps;
                bestOrder = a;
            }
        }
        return new PrivacySpent(Math.max(0, best), delta, bestOrder, conversion);
    }

    /** ε at δ of {@code steps} sampled-Gaussian releases, over the default orders and with the tight conversion. */
    public static PrivacySpent epsilonOfSampledGaussian(double q, double noiseMultiplier, int steps, double delta) {
        double[] orders = defaultOrders();
        return epsilon(orders, rdpOfSampledGaussian(q, noiseMultiplier, steps, orders), delta);
    }
}
