package org.fedmil.data.fmnist;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Random;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.fedmil.data.SourceDataException;
import org.fedmil.data.TileSiteFiles;
import org.fedmil.data.split.DirichletSplitter;
import org.fedmil.data.split.Seeds;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.util.AtomicFiles;

/**
 * FMNIST-bags: the MNIST-bags benchmark of Ilse, Tomczak and Welling 2018 ("Attention-based deep multiple
 * instance learning", ICML) on Fashion-MNIST, as tile site folders spread non-IID over K sites.
 *
 * <ul>
 *   <li>A bag holds n images, n = round(N(meanBagSize, bagSizeStd²)) but at least {@code minBagSize}
 *       (Ilse: N(10, 2²), at least 1), drawn uniformly at random from the pool, distinct within a bag.</li>
 *   <li>A bag is positive iff it holds at least one image of {@code targetClass} (default 9, ankle boot, as
 *       Ilse used digit 9). With the defaults about 1 − 0.9^10 ≈ 65% of bags are positive.</li>
 *   <li>Training bags come from the 60,000 training images and are dealt to the sites by
 *       {@link DirichletSplitter} (α, by label and bag-size tercile); held-out bags come from the 10,000 test
 *       images, so no image is in both.</li>
 *   <li>Each site folder holds {@code bags.csv} and {@code tiles/<bag_id>/NN.png}, 28 × 28 8-bit grey PNGs
 *       ({@code TileFormat(1, 28)}); the held-out folder also holds {@value #INSTANCE_LABELS}
 *       ({@code bag_id,tile,label}, label 1 iff the tile is of the target class), which the loader ignores and
 *       which serves only to score attention localisation. {@code manifest.json} records the parameters, the
 *       source files' SHA-256 and the per-site counts.</li>
 * </ul>
 * The same config and source give byte-identical files on any machine: {@link Random} (specified by Java),
 * {@link StrictMath}, an uncompressed PNG encoding, no timestamps.
 */
public final class FmnistBags {

    public static final String GENERATOR = "fedmil-fmnist-bags/1";
    public static final Path DEFAULT_SOURCE = Path.of("/usr/share/datasets/fashion-mnist");
    public static final String APT_PACKAGE = "dataset-fashion-mnist";
    public static final String TRAIN_IMAGES = "train-images-idx3-ubyte.gz";
    public static final String TRAIN_LABELS = "train-labels-idx1-ubyte.gz";
    public static final String TEST_IMAGES = "t10k-images-idx3-ubyte.gz";
    public static final String TEST_LABELS = "t10k-labels-idx1-ubyte.gz";
    public static final String HELDOUT = "heldout";
    public static final String MANIFEST = "manifest.json";
    public static final String INSTANCE_LABELS = "instance_labels.csv";
    public static final List<String> CLASS_NAMES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
            "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
    public static final int IMAGE_SIZE = 28;

    private final Config config;
    private final Map<String, String> sourceSha256;
    private final Idx.Images trainImages;
    private final Idx.Images testImages;
    private final List<Site> sites;
    private final Site heldout;

    private FmnistBags(Config config, Map<String, String> sourceSha256, Idx.Images trainImages,
                       Idx.Images testImages, List<Site> sites, Site heldout) {
        this.config = config;
        this.sourceSha256 = sourceSha256;
        this.trainImages = trainImages;
        this.testImages = testImages;
        this.sites = sites;
        this.heldout = heldout;
    }

    /**
     * Generation parameters; {@link #defaults()} gives the CLI defaults.
     *
     * @param source      folder with the four Fashion-MNIST {@code *-idx*-ubyte.gz} files
     * @param sites       training sites K, named site-1..site-K
     * @param trainBags   bags over all training sites
     * @param heldoutBags bags in the held-out set
     * @param targetClass the Fashion-MNIST class (0-9) whose presence makes a bag positive
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
            require(targetClass >= 0 && targetClass <= 9, "target class must be a Fashion-MNIST class 0-9, got "
                    + targetClass);
            require(alpha > 0 && !Double.isInfinite(alpha), "alpha must be a positive number, got " + alpha);
            require(minBagSize >= 1, "minBagSize must be at least 1, got " + minBagSize);
            require(meanBagSize >= minBagSize && meanBagSize <= 1000, "meanBagSize must be between minBagSize and "
                    + "1000, got " + meanBagSize);
            require(bagSizeStd >= 0, "bagSizeStd must not be negative, got " + bagSizeStd);
        }

        private static void require(boolean ok, String message) {
            if (!ok) {
                throw new IllegalArgumentException(message);
            }
        }

        public static Config defaults() {
            return new Config(DEFAULT_SOURCE, 4, 500, 200, 9, 0.5, 42, 10, 2, 2);
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
    }

    /**
     * One generated bag.
     *
     * @param images  indices of its images in the pool (training or test set), in instance order
     * @param classes their Fashion-MNIST classes; the instance labels are {@code classes[i] == targetClass}
     */
    public record FmnistBag(String id, int label, int[] images, int[] classes) {

        public int size() {
            return images.length;
        }
    }

    /** One site (or the held-out set) and its bags, in bags.csv order. */
    public record Site(String name, List<FmnistBag> bags) {

        public Site {
            bags = List.copyOf(bags);
        }

        public Stats stats(int targetClass) {
            int positives = 0;
            int instances = 0;
            int targets = 0;
            int min = Integer.MAX_VALUE;
            int max = 0;
            for (FmnistBag b : bags) {
                positives += b.label();
                instances += b.size();
                min = Math.min(min, b.size());
                max = Math.max(max, b.size());
                for (int c : b.classes()) {
                    targets += c == targetClass ? 1 : 0;
                }
            }
            return new Stats(name, bags.size(), positives, instances, targets, min, max);
        }
    }

    /** Counts of one site as written to the manifest. */
    public record Stats(String name, int bags, int positives, int instances, int targetInstances, int minBagSize,
                        int maxBagSize) {

        Map<String, Object> toMap() {
            return TileSiteFiles.ordered("name", name, "bags", bags, "positives", positives, "instances", instances,
                    "target_instances", targetInstances, "min_bag_size", minBagSize, "max_bag_size", maxBagSize);
        }
    }

    /** Reads the source and draws the bags; nothing is written. */
    public static FmnistBags generate(Config cfg) {
        Path dir = cfg.source();
        if (!Files.isDirectory(dir)) {
            throw new SourceDataException(dir, "not found; install the Fashion-MNIST data with 'apt-get install "
                    + APT_PACKAGE + "' (it puts the files in " + DEFAULT_SOURCE + ") or point --source at a folder "
                    + "holding the four *-idx*-ubyte.gz files");
        }
        Map<String, String> sha = new LinkedHashMap<>();
        for (String f : List.of(TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS)) {
            sha.put(f, sha256(dir.resolve(f)));
        }
        Idx.Images train = images(dir.resolve(TRAIN_IMAGES));
        byte[] trainClasses = labels(dir.resolve(TRAIN_LABELS), train);
        Idx.Images test = images(dir.resolve(TEST_IMAGES));
        byte[] testClasses = labels(dir.resolve(TEST_LABELS), test);

        List<FmnistBag> trainBags = draw(cfg, cfg.trainBags(), "train-", trainClasses,
                new Random(Seeds.derive(cfg.seed(), 1)));
        List<FmnistBag> heldoutBags = draw(cfg, cfg.heldoutBags(), "heldout-", testClasses,
                new Random(Seeds.derive(cfg.seed(), 2)));

        int[] labels = trainBags.stream().mapToInt(FmnistBag::label).toArray();
        int[] sizes = trainBags.stream().mapToInt(FmnistBag::size).toArray();
        int[] siteOf = new DirichletSplitter(cfg.sites(), cfg.alpha(), Seeds.derive(cfg.seed(), 3))
                .assign(labels, sizes);
        List<Site> sites = new ArrayList<>();
        for (int k = 0; k < cfg.sites(); k++) {
            List<FmnistBag> mine = new ArrayList<>();
            for (int i = 0; i < trainBags.size(); i++) {
                if (siteOf[i] == k) {
                    mine.add(trainBags.get(i));
                }
            }
            sites.add(new Site("site-" + (k + 1), mine));
        }
        return new FmnistBags(cfg, sha, train, test, List.copyOf(sites), new Site(HELDOUT, heldoutBags));
    }

    private static Idx.Images images(Path file) {
        Idx.Images images = Idx.readImages(file);
        if (images.rows() != IMAGE_SIZE || images.cols() != IMAGE_SIZE) {
            throw new SourceDataException(file, "holds " + images.rows() + "×" + images.cols() + " images, not "
                    + IMAGE_SIZE + "×" + IMAGE_SIZE + "; is it Fashion-MNIST?");
        }
        return images;
    }

    private static byte[] labels(Path file, Idx.Images images) {
        byte[] labels = Idx.readLabels(file);
        if (labels.length != images.count()) {
            throw new SourceDataException(file, "holds " + labels.length + " labels but the images file holds "
                    + images.count() + " images; the two files do not belong together");
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] > 9) {
                throw new SourceDataException(file, "label #" + i + " is " + (labels[i] & 0xFF) + ", not a class "
                        + "0-9; the file is damaged: reinstall it");
            }
        }
        return labels;
    }

    private static List<FmnistBag> draw(Config cfg, int count, String prefix, byte[] classes, Random rng) {
        int pool = classes.length;
        String format = prefix + "%0" + Math.max(4, Integer.toString(count).length()) + "d";
        List<FmnistBag> bags = new ArrayList<>(count);
        for (int b = 0; b < count; b++) {
            long n = Math.round(cfg.meanBagSize() + cfg.bagSizeStd() * rng.nextGaussian());
            int size = (int) Math.min(Math.max(n, cfg.minBagSize()), Math.min(pool, 10 * (long) cfg.meanBagSize()));
            int[] images = distinct(size, pool, rng);
            int[] cls = new int[size];
            int label = 0;
            for (int i = 0; i < size; i++) {
                cls[i] = classes[images[i]];
                label |= cls[i] == cfg.targetClass() ? 1 : 0;
            }
            bags.add(new FmnistBag(String.format(Locale.ROOT, format, b + 1), label, images, cls));
        }
        return bags;
    }

    /** {@code n} distinct indices below {@code bound}, in the order drawn. */
    private static int[] distinct(int n, int bound, Random rng) {
        int[] out = new int[n];
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (int i = 0; i < n; i++) {
            int x;
            do {
                x = rng.nextInt(bound);
            } while (!used.add(x));
            out[i] = x;
        }
        return out;
    }

    private static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (java.nio.file.NoSuchFileException e) {
            throw new SourceDataException(file, "not found; install the Fashion-MNIST data with 'apt-get install "
                    + APT_PACKAGE + "' (it puts the files in " + DEFAULT_SOURCE + ") or point --source at a "
                    + "folder holding the four *-idx*-ubyte.gz files", e);
        } catch (IOException e) {
            throw new SourceDataException(file, "cannot be read: " + e, e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
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

    /** The file name of instance {@code i} of a bag of {@code n}: zero-padded so name order is instance order. */
    public static String tileName(int i, int n) {
        return String.format(Locale.ROOT, "%0" + Math.max(2, Integer.toString(n - 1).length()) + "d.png", i);
    }

    /**
     * Writes {@code dir/site-1..K} and {@code dir/heldout} as tile site folders, {@code heldout/}
     * {@value #INSTANCE_LABELS} and {@code dir/manifest.json}. Each folder's {@code tiles/} is replaced
     * whole, so no tile of an earlier run can end up in a bag; bags.csv is written last, atomically.
     */
    public void writeTo(Path dir) throws IOException {
        for (Site site : sites) {
            write(dir.resolve(site.name()), site, trainImages, false);
        }
        write(dir.resolve(HELDOUT), heldout, testImages, true);
        byte[] manifest = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsBytes(manifest());
        AtomicFiles.write(dir.resolve(MANIFEST), out -> {
            out.write(manifest);
            out.write('\n');
        });
    }

    private void write(Path siteDir, Site site, Idx.Images pool, boolean instanceLabels) throws IOException {
        Path tiles = siteDir.resolve(BagDataset.TILES_DIR);
        TileSiteFiles.replaceTilesFolder(siteDir);
        int plane = IMAGE_SIZE * IMAGE_SIZE;
        StringBuilder labels = new StringBuilder("bag_id,tile,label\n");
        for (FmnistBag bag : site.bags()) {
            Path folder = Files.createDirectories(tiles.resolve(bag.id()));
            for (int i = 0; i < bag.size(); i++) {
                String name = tileName(i, bag.size());
                Files.write(folder.resolve(name), GreyPng.encode(IMAGE_SIZE, IMAGE_SIZE, pool.pixels(),
                        bag.images()[i] * plane));
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
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", GENERATOR);
        m.put("protocol", "MNIST-bags (Ilse et al. 2018) on Fashion-MNIST: a bag is positive iff it holds at least "
                + "one image of the target class");
        m.put("seed", config.seed());
        m.put("target_class", config.targetClass());
        m.put("target_class_name", CLASS_NAMES.get(config.targetClass()));
        m.put("alpha", config.alpha());
        m.put("sites", config.sites());
        m.put("train_bags", config.trainBags());
        m.put("heldout_bags", config.heldoutBags());
        m.put("bag_size", TileSiteFiles.ordered("mean", config.meanBagSize(), "std", config.bagSizeStd(), "min",
                config.minBagSize()));
        m.put("tile_format", TileSiteFiles.ordered("channels", 1, "size", IMAGE_SIZE));
        m.put("source", TileSiteFiles.ordered("package", APT_PACKAGE, "train", TRAIN_IMAGES + " (bags of "
                + "site-1..K)", "heldout", TEST_IMAGES + " (bags of heldout)", "sha256", sourceSha256));
        List<Map<String, Object>> counts = new ArrayList<>();
        sites.forEach(s -> counts.add(s.stats(config.targetClass()).toMap()));
        m.put("counts", counts);
        m.put("heldout", heldout.stats(config.targetClass()).toMap());
        return m;
    }

    /** Per-site counts as a table, for the command's output. */
    public String statsTable() {
        StringBuilder t = new StringBuilder(String.format(Locale.ROOT, "%-8s %5s %9s %10s %9s%n", "dataset", "bags",
                "positive", "instances", "min-max"));
        List<Site> all = new ArrayList<>(sites);
        all.add(heldout);
        for (Site s : all) {
            Stats st = s.stats(config.targetClass());
            t.append(String.format(Locale.ROOT, "%-8s %5d %9d %10d %9s%n", st.name(), st.bags(), st.positives(),
                    st.instances(), st.minBagSize() + "-" + st.maxBagSize()));
        }
        return t.toString();
    }
}
