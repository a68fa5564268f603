package org.fedmil.data.split;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Deals whole bags out to K sites non-IID, the usual way federated-learning benchmarks simulate hospitals
 * that differ in case mix (Hsu et al. 2019, "Measuring the effects of non-identical data distribution"):
 *
 * <ol>
 *   <li>Bags are stratified by label (0/1) and bag-size tercile (small, medium, large; terciles by rank of
 *       size, ties broken by bag order), giving up to 6 strata.</li>
 *   <li>For each stratum, in that order, site proportions p ~ Dirichlet(α, ..., α) are drawn (Gamma variates
 *       by Marsaglia and Tsang 2000, in log space so that tiny α cannot underflow), the stratum's bags are
 *       shuffled, and site k gets round(p_k · m) of them (largest remainders, ties to the lower site).</li>
 *   <li>Every site must have at least {@value #MIN_BAGS_PER_SITE} bags: while one has fewer, a bag moves to
 *       it from the site with the most bags (ties to the lower site), preferably one of the label the
 *       receiving site has fewer of (so it does not stay single-class when that can be helped); which such bag
 *       is random.</li>
 * </ol>
 * Small α (e.g. 0.1) gives sites very different label and size mixes and sizes; large α (e.g. 100) gives
 * nearly the global mix everywhere. The same inputs and seed always give the same assignment, on any JDK:
 * only {@link Random} (whose algorithm Java specifies) and {@link StrictMath} are used.
 */
public final class DirichletSplitter {

    public static final int MIN_BAGS_PER_SITE = 2;

    private final int sites;
    private final double alpha;
    private final long seed;

    /**
     * @param sites number of sites K, at least 1
     * @param alpha Dirichlet concentration, positive and finite
     * @param seed  same seed and inputs, same assignment
     */
    public DirichletSplitter(int sites, double alpha, long seed) {
        if (sites < 1) {
            throw new IllegalArgumentException("sites must be at least 1, got " + sites);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            throw new IllegalArgumentException("alpha (Dirichlet concentration) must be a positive number, got "
                    + alpha);
        }
        this.sites = sites;
        this.alpha = alpha;
        this.seed = seed;
    }

    public int sites() {
        return sites;
    }

    public double alpha() {
        return alpha;
    }

    /**
     * Assigns each bag to a site.
     *
     * @param labels label (0 or 1) of each bag
     * @param sizes  instances of each bag, same length
     * @return the site (0 .. K-1) of each bag
     */
    public int[] assign(int[] labels, int[] sizes) {
        int n = labels.length;
        if (sizes.length != n) {
            throw new IllegalArgumentException(n + " labels but " + sizes.length + " sizes");
        }
        if (n < MIN_BAGS_PER_SITE * sites) {
            throw new IllegalArgumentException(n + " bags cannot give " + sites + " sites at least "
                    + MIN_BAGS_PER_SITE + " each; use fewer sites or more bags");
        }
        for (int i = 0; i < n; i++) {
            if (labels[i] != 0 && labels[i] != 1) {
                throw new IllegalArgumentException("bag #" + i + ": label must be 0 or 1, got " + labels[i]);
            }
        }
        Random rng = new Random(seed);
        int[] tercile = terciles(sizes);
        List<List<Integer>> strata = new ArrayList<>();
        for (int s = 0; s < 6; s++) {
            strata.add(new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            strata.get(labels[i] * 3 + tercile[i]).add(i);
        }
        int[] site = new int[n];
        for (List<Integer> stratum : strata) {
            if (stratum.isEmpty()) {
                continue;
            }
            shuffle(stratum, rng);
            double[] p = dirichlet(alpha, sites, rng);
            int[] counts = apportion(p, stratum.size());
            int next = 0;
            for (int k = 0; k < sites; k++) {
                for (int j = 0; j < counts[k]; j++) {
                    site[stratum.get(next++)] = k;
                }
            }
        }
        topUp(site, labels, rng);
        return site;
    }

    /** 0, 1, 2 for the lower, middle and upper third of bags by size (rank; ties by index). */
    private static int[] terciles(int[] sizes) {
        int n = sizes.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> sizes[a] != sizes[b] ? Integer.compare(sizes[a], sizes[b])
                : Integer.compare(a, b));
        int[] t = new int[n];
        for (int r = 0; r < n; r++) {
            t[order[r]] = (int) ((long) r * 3 / n);
        }
        return t;
    }

    private static void shuffle(List<Integer> list, Random rng) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = rng.nextInt(i + 1);
            Integer t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }

    /** Integer counts summing to m, proportional to p: floors, then the largest remainders get one more. */
    static int[] apportion(double[] p, int m) {
        int k = p.length;
        int[] counts = new int[k];
        double[] remainder = new double[k];
        int given = 0;
        for (int i = 0; i < k; i++) {
            double exact = p[i] * m;
            counts[i] = (int) Math.floor(exact);
            remainder[i] = exact - counts[i];
            given += counts[i];
        }
        while (given < m) {
            int best = 0;
            for (int i = 1; i < k; i++) {
                if (remainder[i] > remainder[best]) {
                    best = i;
                }
            }
            counts[best]++;
            remainder[best] = -1;
            given++;
        }
        return counts;
    }

    private void topUp(int[] site, int[] labels, Random rng) {
        int[][] byLabel = new int[sites][2];
        for (int i = 0; i < site.length; i++) {
            byLabel[site[i]][labels[i]]++;
        }
        while (true) {
            int receiver = -1;
            for (int k = 0; k < sites && receiver < 0; k++) {
                if (byLabel[k][0] + byLabel[k][1] < MIN_BAGS_PER_SITE) {
                    receiver = k;
                }
            }
            if (receiver < 0) {
                return;
            }
            int donor = 0;
            for (int k = 1; k < sites; k++) {
                if (byLabel[k][0] + byLabel[k][1] > byLabel[donor][0] + byLabel[donor][1]) {
                    donor = k;
                }
            }
            int wanted = byLabel[receiver][1] < byLabel[receiver][0] ? 1 : 0;
            if (byLabel[receiver][0] == byLabel[receiver][1]) {
                wanted = byLabel[donor][1] > byLabel[donor][0] ? 1 : 0;
            }
            if (byLabel[donor][wanted] == 0) {
                wanted = 1 - wanted;
            }
            List<Integer> candidates = new ArrayList<>();
            for (int i = 0; i < site.length; i++) {
                if (site[i] == donor && labels[i] == wanted) {
                    candidates.add(i);
                }
            }
            int moved = candidates.get(rng.nextInt(candidates.size()));
            site[moved] = receiver;
            byLabel[donor][wanted]--;
            byLabel[receiver][wanted]++;
        }
    }

    /** A draw from the symmetric Dirichlet(α, ..., α) over k categories. */
    static double[] dirichlet(double alpha, int k, Random rng) {
        double[] logG = new double[k];
        double max = Double.NEGATIVE_INFINITY;
        for (int i = 0; i < k; i++) {
            logG[i] = logGamma(alpha, rng);
            max = Math.max(max, logG[i]);
        }
        double sum = 0;
        double[] p = new double[k];
        for (int i = 0; i < k; i++) {
            p[i] = StrictMath.exp(logG[i] - max);
            sum += p[i];
        }
        for (int i = 0; i < k; i++) {
            p[i] /= sum;
        }
        return p;
    }

    /**
     * The logarithm of a Gamma(shape, 1) variate: Marsaglia and Tsang's squeeze method for shape ≥ 1; for
     * shape &lt; 1 their boost Gamma(shape) = Gamma(shape + 1) · U^(1/shape), taken in logs.
     */
    static double logGamma(double shape, Random rng) {
        if (shape < 1.0) {
            double u = 1.0 - rng.nextDouble(); // (0, 1]
            return logGamma(shape + 1.0, rng) + StrictMath.log(u) / shape;
        }
        double d = shape - 1.0 / 3.0;
        double c = 1.0 / StrictMath.sqrt(9.0 * d);
        while (true) {
            double x = rng.nextGaussian();
            double v = 1.0 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = 1.0 - rng.nextDouble();
            if (StrictMath.log(u) < 0.5 * x * x + d - d * v + d * StrictMath.log(v)) {
                return StrictMath.log(d * v);
            }
        }
    }
}
