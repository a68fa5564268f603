package org.fedmil.secagg;

/**
 * How SecAgg+'s graph degree k and neighbourhood threshold t are chosen for n sites, after the analysis of Bell et
 * al. (CCS 2020, §3–4), computed exactly for the random Harary graph {@link CommunicationGraph} draws instead of
 * through the paper's asymptotic bounds. At most a fraction γ of the sites collude with the coordinator and at most a
 * fraction δ drop out in a round; C = ⌈γn⌉ and D = ⌈δn⌉. A site's k neighbours are k of the other n − 1 sites drawn
 * without replacement (the ring order is a uniform permutation), so their count of colluders is hypergeometric.
 * The smallest even k &lt; n − 1 is taken for which some t ≤ k + 1 meets all three, and then the largest such t:
 *
 * <ol>
 *   <li><b>privacy</b>: n · P[Hyp(n−1, C, k) ≥ 2t − (k+1)] ≤ 2^−σ. The coordinator unmasks an honest site u only
 *       if c ≥ 2t − m of the m = k + 1 holders of u's shares collude ({@link CollusionBound}, applied to u's
 *       neighbourhood; c ≥ t implies it), union-bounded over the n sites;</li>
 *   <li><b>connectivity</b>: n · P[k/2 given ring places all colluding or dropped] ≤ 2^−σ. The honest survivors'
 *       subgraph splits only where k/2 ring neighbours in a row are gone, and a split would reveal the sums of its
 *       parts;</li>
 *   <li><b>completion</b>: n · P[Hyp(n−1, n−1−C−D, k) &lt; t] ≤ 2^−η: every site has t honest surviving neighbours
 *       to rebuild its secret, not counting its own share.</li>
 * </ol>
 * When no k &lt; n − 1 meets them, the graph is complete (full SecAgg) and the threshold is the caller's.
 *
 * @param colludingFraction γ, in [0, 1)
 * @param dropoutRate       δ, in [0, 1), with γ + δ &lt; 1
 * @param privacyBits       σ: the privacy and connectivity bounds are 2^−σ per round
 * @param completionBits    η: a round fails to finish for want of shares with probability at most 2^−η
 */
public record GraphDegreeRule(double colludingFraction, double dropoutRate, int privacyBits, int completionBits) {

    /** γ = 5 %, δ = 5 %, σ = 40, η = 20: the defaults documented in docs/privacy.md. */
    public static final GraphDegreeRule DEFAULT = new GraphDegreeRule(0.05, 0.05, 40, 20);

    public GraphDegreeRule {
        if (!(colludingFraction >= 0 && dropoutRate >= 0 && colludingFraction + dropoutRate < 1)) {
            throw new IllegalArgumentException("colluding fraction " + colludingFraction + " and dropout rate "
                    + dropoutRate + " must be at least 0 and sum to less than 1");
        }
        if (privacyBits < 1 || privacyBits > 128 || completionBits < 1 || completionBits > 128) {
            throw new IllegalArgumentException("privacy bits " + privacyBits + " and completion bits "
                    + completionBits + " must be in 1..128");
        }
    }

    /**
     * k and t for n sites.
     *
     * @param degree    k, or 0 when the graph is complete
     * @param threshold t within each neighbourhood, or 0 when the graph is complete (the caller's full-SecAgg t)
     * @param log2Privacy    log2 of bound 1 at the chosen k and t (−∞ when zero)
     * @param log2Completion log2 of bound 3 at the chosen k and t
     */
    public record Choice(int degree, int threshold, double log2Privacy, double log2Completion) {
        public boolean complete() {
            return degree == 0;
        }
    }

    public Choice choose(int n) {
        int others = n - 1;
        int colluders = (int) Math.ceil(colludingFraction * n - 1e-9);
        int gone = Math.min(others, colluders + (int) Math.ceil(dropoutRate * n - 1e-9));
        double[] lf = logFactorials(n);
        for (int k = 2; k < others; k += 2) {
            int m = k + 1;
            if (Math.log(n) + logAllBad(n, gone, k / 2, lf) > -privacyBits * Math.log(2)) {
                continue;
            }
            for (int t = m; t >= 1; t--) {
                double privacy = Math.log(n) + logTailAtLeast(others, colluders, k, 2 * t - m, lf);
                double completion = Math.log(n) + logTailBelow(others, others - gone, k, t, lf);
                if (privacy <= -privacyBits * Math.log(2) && completion <= -completionBits * Math.log(2)) {
                    return new Choice(k, t, privacy / Math.log(2), completion / Math.log(2));
                }
            }
        }
        return new Choice(0, 0, Double.NEGATIVE_INFINITY, Double.NEGATIVE_INFINITY);
    }

    /** ln P[r given places of n are all among the `bad` ones], drawn without replacement. */
    private static double logAllBad(int n, int bad, int r, double[] lf) {
        if (r > bad) {
            return Double.NEGATIVE_INFINITY;
        }
        return logChoose(bad, r, lf) - logChoose(n, r, lf);
    }

    /** ln P[X ≥ x] for X ~ Hypergeometric(population, successes, draws). */
    private static double logTailAtLeast(int population, int successes, int draws, int x, double[] lf) {
        double p = 0;
        for (int i = Math.max(0, x); i <= Math.min(draws, successes); i++) {
            p += pmf(population, successes, draws, i, lf);
        }
        return Math.log(p);
    }

    /** ln P[X &lt; x]. */
    private static double logTailBelow(int population, int successes, int draws, int x, double[] lf) {
        double p = 0;
        for (int i = Math.max(0, draws - (population - successes)); i < Math.min(x, draws + 1); i++) {
            p += pmf(population, successes, draws, i, lf);
        }
        return Math.log(p);
    }

    private static double pmf(int population, int successes, int draws, int i, double[] lf) {
        if (i > successes || draws - i > population - successes) {
            return 0;
        }
        return Math.exp(logChoose(successes, i, lf) + logChoose(population - successes, draws - i, lf)
                - logChoose(population, draws, lf));
    }

    private static double logChoose(int n, int r, double[] lf) {
        return lf[n] - lf[r] - lf[n - r];
    }

    private static double[] logFactorials(int n) {
        double[] lf = new double[n + 1];
        for (int i = 2; i <= n; i++) {
            lf[i] = lf[i - 1] + Math.log(i);
        }
        return lf;
    }
}
