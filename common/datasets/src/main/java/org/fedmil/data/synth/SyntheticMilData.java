package org.fedmil.data.synth;

import org.fedmil.util.AtomicFiles;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagDatasetWriter;

/**
 * A seeded multiple-instance learning problem spread over several non-IID sites plus a held-out set, standing
 * in for hospitals' whole-slide-image features in demos and tests.
 *
 * <p>The generative model, per instance x ∈ R^dim:
 * <pre>
 *   x = tissue_c + site_offset + bag_offset + noise            (normal instance)
 *   x = ... + lesionSignal · u_subtype                          (lesion instance)
 * </pre>
 * Normal instances come from {@code tissueClusters} Gaussian clusters ("tissue types") whose centres avoid a
 * 2-D lesion subspace; each bag mixes them in its own Dirichlet proportions. Every instance of a bag shares a
 * bag offset (staining/scanner batch) and every bag of a site shares a site offset (feature shift between
 * hospitals). A positive bag holds {@code minLesions..maxLesions} lesion instances, shifted by
 * {@code lesionSignal} along one of {@code lesionSubtypes} directions spread around the lesion subspace
 * (default one subtype: with three, attention MIL often locks onto one subtype in a few rounds).
 *
 * <p>Why this defeats mean pooling but not attention: a lesion stands out clearly from the other instances of
 * its own bag, but it is 1-3 instances of tens, so in the bag mean it shrinks to lesionSignal·k/n, below the
 * spread that tissue mix, bag offset and site offset give the mean. Attention can pick the lesion instance out
 * and classify it alone. Bag size is drawn independently of the label, so it predicts nothing. Measured with
 * the defaults (FedAvg of Linear(32→64)+ReLU, attention or mean pooling, Adam 2e-3, 2 local epochs per
 * round): held-out AUC after 3 rounds ≈ 0.98 attention vs ≈ 0.70 mean.
 *
 * <p>The instance labels (which instances are lesions) are kept in memory for interpretability checks and
 * are never written to disk.
 */
public final class SyntheticMilData {

    /** Bumped when the same config would produce different data, so manifests say which generator made them. */
    public static final String GENERATOR = "fedmil-synth-mil/1";
    public static final String HELDOUT = "heldout";
    public static final String MANIFEST = "manifest.json";
    public static final String README = "README.txt";

    private static final int LESION_SUBSPACE_DIM = 2;

    private final Config config;
    private final List<SyntheticSite> sites;
    private final SyntheticSite heldout;

    private SyntheticMilData(Config config, List<SyntheticSite> sites, SyntheticSite heldout) {
        this.config = config;
        this.sites = sites;
        this.heldout = heldout;
    }

    /**
     * Generation parameters. Defaults ({@link #defaults()}) keep a 3-site demo to a few seconds of training.
     *
     * @param sites               number of training sites, named site-1..site-K
     * @param bagsPerSite         bags per training site
     * @param heldoutBags         bags in the coordinator's held-out set
     * @param dim                 features per instance
     * @param seed                same seed and config, byte-identical output
     * @param positiveRates       positive-bag rate anchors; site i of K gets the piecewise-linear interpolation
     *                            at i/(K-1) (K=3 gets them exactly)
     * @param meanBagSizes        mean-bag-size anchors, interpolated geometrically like positiveRates
     * @param heldoutPositiveRate fraction of positive held-out bags
     * @param bagSizeSpread       σ of the log-normal bag-size distribution around a site's mean
     * @param minBagSize          smallest bag; above maxLesions so lesions never fill a whole bag
     * @param minLesions          fewest lesion instances in a positive bag
     * @param maxLesions          most lesion instances in a positive bag
     * @param lesionSignal        shift of a lesion instance, in units of instanceNoise: the per-instance margin
     * @param lesionSubtypes      lesion directions, evenly spread in the lesion subspace; one per positive bag
     * @param tissueClusters      Gaussian clusters normal instances come from
     * @param clusterSpread       σ of the cluster centres: between-cluster variation of normal instances
     * @param tissueMixConcentration Dirichlet concentration of a bag's cluster mix; small = bags dominated by
     *                            one or two tissue types, i.e. heavy between-bag variation of the mean
     * @param instanceNoise       σ of independent per-instance noise
     * @param bagOffset           σ of the offset shared by all instances of a bag (stain, scanner)
     * @param siteOffset          σ of the offset shared by all bags of a site (feature shift between hospitals)
     */
    public record Config(
            int sites,
            int bagsPerSite,
            int heldoutBags,
            int dim,
            long seed,
            List<Double> positiveRates,
            List<Double> meanBagSizes,
            double heldoutPositiveRate,
            double bagSizeSpread,
            int minBagSize,
            int minLesions,
            int maxLesions,
            double lesionSignal,
            int lesionSubtypes,
            int tissueClusters,
            double clusterSpread,
            double tissueMixConcentration,
            double instanceNoise,
            double bagOffset,
            double siteOffset) {

        public Config {
            positiveRates = List.copyOf(positiveRates);
            meanBagSizes = List.copyOf(meanBagSizes);
            require(sites >= 1, "sites must be at least 1, got " + sites);
            require(bagsPerSite >= 2, "bagsPerSite must be at least 2, got " + bagsPerSite);
            require(heldoutBags >= 2, "heldoutBags must be at least 2, got " + heldoutBags);
            require(dim >= LESION_SUBSPACE_DIM + 2, "dim must be at least " + (LESION_SUBSPACE_DIM + 2)
                    + ", got " + dim);
            require(!positiveRates.isEmpty() && positiveRates.stream().allMatch(r -> r > 0 && r < 1),
                    "positiveRates must be in (0, 1), got " + positiveRates);
            require(!meanBagSizes.isEmpty() && meanBagSizes.stream().allMatch(m -> m >= 1),
                    "meanBagSizes must be at least 1, got " + meanBagSizes);
            require(heldoutPositiveRate > 0 && heldoutPositiveRate < 1,
                    "heldoutPositiveRate must be in (0, 1), got " + heldoutPositiveRate);
            require(bagSizeSpread >= 0, "bagSizeSpread must not be negative");
            require(minLesions >= 1 && maxLesions >= minLesions, "need 1 <= minLesions <= maxLesions, got "
                    + minLesions + ".." + maxLesions);
            require(minBagSize > maxLesions, "minBagSize (" + minBagSize + ") must exceed maxLesions ("
                    + maxLesions + ") so that a positive bag also holds normal instances");
            require(lesionSignal > 0, "lesionSignal must be positive");
            require(lesionSubtypes >= 1, "lesionSubtypes must be at least 1");
            require(tissueClusters >= 1, "tissueClusters must be at least 1");
            require(clusterSpread >= 0 && instanceNoise > 0 && bagOffset >= 0 && siteOffset >= 0
                    && tissueMixConcentration > 0, "spreads must not be negative (instanceNoise, "
                    + "tissueMixConcentration positive)");
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }

        public static Config defaults() {
            return new Config(3, 160, 200, 32, 42L,
                    List.of(0.25, 0.50, 0.65), List.of(10.0, 25.0, 50.0), 0.5, 0.5, 4,
                    1, 3, 6.0, 1,
                    6, 2.0, 0.5, 1.0, 1.0, 0.75);
        }

        public Config withSites(int k) {
            return new Config(k, bagsPerSite, heldoutBags, dim, seed, positiveRates, meanBagSizes,
                    heldoutPositiveRate, bagSizeSpread, minBagSize, minLesions, maxLesions, lesionSignal,
                    lesionSubtypes, tissueClusters, clusterSpread, tissueMixConcentration, instanceNoise, bagOffset,
                    siteOffset);
        }

        public Config withSeed(long s) {
            return new Config(sites, bagsPerSite, heldoutBags, dim, s, positiveRates, meanBagSizes,
                    heldoutPositiveRate, bagSizeSpread, minBagSize, minLesions, maxLesions, lesionSignal,
                    lesionSubtypes, tissueClusters, clusterSpread, tissueMixConcentration, instanceNoise, bagOffset,
                    siteOffset);
        }

        public Config withDim(int d) {
            return new Config(sites, bagsPerSite, heldoutBags, d, seed, positiveRates, meanBagSizes,
                    heldoutPositiveRate, bagSizeSpread, minBagSize, minLesions, maxLesions, lesionSignal,
                    lesionSubtypes, tissueClusters, clusterSpread, tissueMixConcentration, instanceNoise, bagOffset,
                    siteOffset);
        }

        public Config withBags(int perSite, int heldout) {
            return new Config(sites, perSite, heldout, dim, seed, positiveRates, meanBagSizes,
                    heldoutPositiveRate, bagSizeSpread, minBagSize, minLesions, maxLesions, lesionSignal,
                    lesionSubtypes, tissueClusters, clusterSpread, tissueMixConcentration, instanceNoise, bagOffset,
                    siteOffset);
        }

        public Config withLesions(int min, int max, double signal) {
            return new Config(sites, bagsPerSite, heldoutBags, dim, seed, positiveRates, meanBagSizes,
                    heldoutPositiveRate, bagSizeSpread, minBagSize, min, max, signal,
                    lesionSubtypes, tissueClusters, clusterSpread, tissueMixConcentration, instanceNoise, bagOffset,
                    siteOffset);
        }

        public Config withOffsets(double bag, double site) {
            return new Config(sites, bagsPerSite, heldoutBags, dim, seed, positiveRates, meanBagSizes,
                    heldoutPositiveRate, bagSizeSpread, minBagSize, minLesions, maxLesions, lesionSignal,
                    lesionSubtypes, tissueClusters, clusterSpread, tissueMixConcentration, instanceNoise, bag, site);
        }

        /** Positive rate of site {@code i} (0-based). */
        public double positiveRateOf(int i) {
            return interpolate(positiveRates, position(i), false);
        }

        /** Mean bag size of site {@code i} (0-based). */
        public double meanBagSizeOf(int i) {
            return interpolate(meanBagSizes, position(i), true);
        }

        private double position(int i) {
            return sites == 1 ? 0.5 : (double) i / (sites - 1);
        }

        private static double interpolate(List<Double> anchors, double t, boolean geometric) {
            if (anchors.size() == 1) {
                return anchors.get(0);
            }
            double x = t * (anchors.size() - 1);
            int lo = Math.min((int) Math.floor(x), anchors.size() - 2);
            double f = x - lo;
            if (f == 0) {
                return anchors.get(lo); // exact at the anchors, where log/exp would round
            }
            double a = anchors.get(lo);
            double b = anchors.get(lo + 1);
            return geometric ? StrictMath.exp((1 - f) * StrictMath.log(a) + f * StrictMath.log(b))
                    : (1 - f) * a + f * b;
        }
    }

    /** A generated bag with the instance labels that the files never contain. */
    public record SyntheticBag(Bag bag, boolean[] lesion) {

        public SyntheticBag {
            Objects.requireNonNull(bag, "bag");
            if (lesion.length != bag.instances()) {
                throw new IllegalArgumentException("one lesion flag per instance");
            }
        }

        public int lesionCount() {
            int n = 0;
            for (boolean l : lesion) {
                n += l ? 1 : 0;
            }
            return n;
        }
    }

    /** Per-dataset summary, as written to the manifest. */
    public record SiteStats(String name, int bags, int positives, double positiveRate, double meanBagSize,
                            int minBagSize, int maxBagSize, double meanLesionsPerPositiveBag) {
    }

    /** One generated site (or the held-out set). */
    public record SyntheticSite(String name, List<SyntheticBag> bags) {

        public SyntheticSite {
            bags = List.copyOf(bags);
        }

        public BagDataset dataset() {
            return BagDataset.of(name, bags.stream().map(SyntheticBag::bag).toList());
        }

        public SiteStats stats() {
            int positives = 0;
            long instances = 0;
            long lesions = 0;
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (SyntheticBag b : bags) {
                positives += b.bag().label();
                instances += b.bag().instances();
                lesions += b.lesionCount();
                min = Math.min(min, b.bag().instances());
                max = Math.max(max, b.bag().instances());
            }
            return new SiteStats(name, bags.size(), positives, round((double) positives / bags.size()),
                    round((double) instances / bags.size()), min, max,
                    positives == 0 ? 0 : round((double) lesions / positives));
        }

        private static double round(double x) {
            return Math.round(x * 1e4) / 1e4;
        }
    }

    public static SyntheticMilData generate(Config cfg) {
        World world = World.create(cfg);
        List<SyntheticSite> sites = new ArrayList<>();
        for (int s = 0; s < cfg.sites(); s++) {
            int site = s;
            String name = "site-" + (s + 1);
            int[] labels = labels(cfg.bagsPerSite(), cfg.positiveRateOf(s), SeededRandom.of(cfg.seed(), s, -1));
            List<SyntheticBag> bags = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                SeededRandom rng = SeededRandom.of(cfg.seed(), s, i);
                bags.add(world.bag(String.format(Locale.ROOT, "s%d-bag%04d", s + 1, i + 1), labels[i], site, rng));
            }
            sites.add(new SyntheticSite(name, bags));
        }
        // Held-out cases come from all hospitals (feature shift and bag sizes of a random site) but with
        // balanced labels, so held-out AUC measures lesion detection rather than site priors.
        long heldoutKey = 1_000_000L;
        int[] labels = labels(cfg.heldoutBags(), cfg.heldoutPositiveRate(), SeededRandom.of(cfg.seed(), heldoutKey,
                -1));
        List<SyntheticBag> heldout = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            SeededRandom rng = SeededRandom.of(cfg.seed(), heldoutKey, i);
            int site = rng.nextInt(cfg.sites());
            heldout.add(world.bag(String.format(Locale.ROOT, "h-bag%04d", i + 1), labels[i], site, rng));
        }
        return new SyntheticMilData(cfg, List.copyOf(sites), new SyntheticSite(HELDOUT, heldout));
    }

    /** Exactly round(rate·n) positives in random order, so configured rates are met, not just expected. */
    private static int[] labels(int n, double rate, SeededRandom rng) {
        int positives = (int) Math.round(rate * n);
        positives = Math.max(1, Math.min(n - 1, positives));
        int[] labels = new int[n];
        for (int i = 0; i < positives; i++) {
            labels[i] = 1;
        }
        rng.shuffle(labels);
        return labels;
    }

    /** The structure shared by all sites: tissue clusters, lesion directions, site offsets and tissue mixes. */
    private record World(Config cfg, float[][] clusters, float[][] lesionDirections, float[][] siteOffsets,
                         double[][] siteTissueMix) {

        static World create(Config cfg) {
            int d = cfg.dim();
            SeededRandom rng = SeededRandom.of(cfg.seed(), -1);
            double[][] basis = new double[LESION_SUBSPACE_DIM][];
            for (int b = 0; b < LESION_SUBSPACE_DIM; b++) {
                double[] v = gaussian(rng, d, 1.0);
                for (int p = 0; p < b; p++) {
                    removeComponent(v, basis[p]);
                }
                scale(v, 1.0 / norm(v));
                basis[b] = v;
            }
            float[][] clusters = new float[cfg.tissueClusters()][];
            for (int c = 0; c < clusters.length; c++) {
                double[] centre = gaussian(rng, d, cfg.clusterSpread());
                // Tissue types differ outside the lesion subspace, so no normal tissue passes for a lesion.
                for (double[] axis : basis) {
                    removeComponent(centre, axis);
                }
                clusters[c] = toFloat(centre);
            }
            float[][] directions = new float[cfg.lesionSubtypes()][];
            double phase = 2 * StrictMath.PI * rng.nextDouble();
            for (int j = 0; j < directions.length; j++) {
                double angle = phase + 2 * StrictMath.PI * j / directions.length;
                double[] u = new double[d];
                for (int i = 0; i < d; i++) {
                    u[i] = StrictMath.cos(angle) * basis[0][i] + StrictMath.sin(angle) * basis[1][i];
                }
                directions[j] = toFloat(u);
            }
            float[][] siteOffsets = new float[cfg.sites()][];
            double[][] mixes = new double[cfg.sites()][];
            double[] flat = new double[cfg.tissueClusters()];
            java.util.Arrays.fill(flat, 2.0);
            for (int s = 0; s < cfg.sites(); s++) {
                siteOffsets[s] = toFloat(gaussian(rng, d, cfg.siteOffset()));
                mixes[s] = rng.nextDirichlet(flat);
            }
            return new World(cfg, clusters, directions, siteOffsets, mixes);
        }

        SyntheticBag bag(String id, int label, int site, SeededRandom rng) {
            int d = cfg.dim();
            double mean = cfg.meanBagSizeOf(site);
            double sigma = cfg.bagSizeSpread();
            // Log-normal with the site's mean: bag sizes are skewed, as tissue areas of slides are.
            double size = mean * StrictMath.exp(sigma * rng.nextGaussian() - sigma * sigma / 2);
            int n = (int) Math.max(cfg.minBagSize(), Math.min(Math.round(size), Math.round(mean * 6)));

            double[] alpha = new double[clusters.length];
            for (int c = 0; c < alpha.length; c++) {
                alpha[c] = cfg.tissueMixConcentration() * clusters.length * siteTissueMix[site][c];
            }
            double[] mix = rng.nextDirichlet(alpha);
            double[] offset = gaussian(rng, d, cfg.bagOffset());
            float[] siteOffset = siteOffsets[site];

            float[] x = new float[n * d];
            for (int i = 0; i < n; i++) {
                float[] centre = clusters[rng.nextCategorical(mix)];
                for (int k = 0; k < d; k++) {
                    x[i * d + k] = (float) (centre[k] + siteOffset[k] + offset[k]
                            + cfg.instanceNoise() * rng.nextGaussian());
                }
            }
            boolean[] lesion = new boolean[n];
            if (label == 1) {
                int lesions = cfg.minLesions() + rng.nextInt(cfg.maxLesions() - cfg.minLesions() + 1);
                float[] u = lesionDirections[rng.nextInt(lesionDirections.length)];
                int placed = 0;
                while (placed < lesions) {
                    int i = rng.nextInt(n);
                    if (!lesion[i]) {
                        lesion[i] = true;
                        placed++;
                        for (int k = 0; k < d; k++) {
                            x[i * d + k] += (float) (cfg.lesionSignal() * cfg.instanceNoise() * u[k]);
                        }
                    }
                }
            }
            return new SyntheticBag(new Bag(id, label, n, d, x), lesion);
        }

        private static double[] gaussian(SeededRandom rng, int d, double sigma) {
            double[] v = new double[d];
            for (int i = 0; i < d; i++) {
                v[i] = sigma * rng.nextGaussian();
            }
            return v;
        }

        private static void removeComponent(double[] v, double[] unit) {
            double dot = 0;
            for (int i = 0; i < v.length; i++) {
                dot += v[i] * unit[i];
            }
            for (int i = 0; i < v.length; i++) {
                v[i] -= dot * unit[i];
            }
        }

        private static double norm(double[] v) {
            double s = 0;
            for (double x : v) {
                s += x * x;
            }
            return StrictMath.sqrt(s);
        }

        private static void scale(double[] v, double f) {
            for (int i = 0; i < v.length; i++) {
                v[i] *= f;
            }
        }

        private static float[] toFloat(double[] v) {
            float[] f = new float[v.length];
            for (int i = 0; i < v.length; i++) {
                f[i] = (float) v[i];
            }
            return f;
        }
    }

    public Config config() {
        return config;
    }

    /** The training sites, site-1..site-K. */
    public List<SyntheticSite> sites() {
        return sites;
    }

    /** The coordinator's held-out set. */
    public SyntheticSite heldout() {
        return heldout;
    }

    /**
     * Writes {@code dir/site-1..K} and {@code dir/heldout} as site folders, plus {@code manifest.json} (config and
     * per-dataset stats) and {@code README.txt}. Nothing time- or machine-dependent is written, so equal
     * configs give byte-identical folders.
     */
    public void writeTo(Path dir) throws IOException {
        for (SyntheticSite site : sites) {
            BagDatasetWriter.write(dir.resolve(site.name()), site.dataset());
        }
        BagDatasetWriter.write(dir.resolve(heldout.name()), heldout.dataset());
        ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        byte[] manifest = json.writeValueAsBytes(manifest());
        AtomicFiles.write(dir.resolve(MANIFEST), out -> {
            out.write(manifest);
            out.write('\n');
        });
        AtomicFiles.write(dir.resolve(README), out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            w.write(readme());
            w.flush();
        });
    }

    /** The manifest as written: generator, config, per-dataset stats. */
    public Map<String, Object> manifest() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", GENERATOR);
        m.put("config", config);
        List<SiteStats> stats = new ArrayList<>();
        sites.forEach(s -> stats.add(s.stats()));
        m.put("sites", stats);
        m.put("heldout", heldout.stats());
        return m;
    }

    /** A table of the per-dataset stats, as in README.txt. */
    public String statsTable() {
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "%-8s %5s %9s %9s %13s %9s %18s%n",
                "dataset", "bags", "positive", "pos.rate", "mean bagsize", "min-max", "lesions/pos.bag"));
        List<SyntheticSite> all = new ArrayList<>(sites);
        all.add(heldout);
        for (SyntheticSite s : all) {
            SiteStats st = s.stats();
            t.append(String.format(Locale.ROOT, "%-8s %5d %9d %9.3f %13.1f %9s %18.2f%n", st.name(), st.bags(),
                    st.positives(), st.positiveRate(), st.meanBagSize(), st.minBagSize() + "-" + st.maxBagSize(),
                    st.meanLesionsPerPositiveBag()));
        }
        return t.toString();
    }

    private String readme() {
        return "Synthetic multiple-instance learning data (" + GENERATOR + "), seed " + config.seed() + ".\n"
                + "\n"
                + "site-1 .. site-" + sites.size() + "  one folder per training site\n"
                + "heldout   the coordinator's held-out evaluation set\n"
                + "Each holds bags.csv (bag_id,label) and bags/<bag_id>.npy (float32, instances x " + config.dim()
                + ").\n"
                + "A bag is positive iff it holds at least one lesion instance; which instances are lesions is\n"
                + "not written anywhere. Sites differ in positive rate, bag size and feature shift (non-IID).\n"
                + "Generation parameters and these stats are in " + MANIFEST + "; regenerate with\n"
                + "  synth --out DIR --sites " + config.sites() + " --seed " + config.seed() + " --dim " + config.dim()
                + " --bags-per-site " + config.bagsPerSite() + " --heldout-bags " + config.heldoutBags() + "\n"
                + "\n"
                + statsTable();
    }
}
