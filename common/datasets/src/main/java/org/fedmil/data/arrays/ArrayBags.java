package org.fedmil.data.arrays;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import javax.imageio.ImageIO;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.fedmil.data.SourceDataException;
import org.fedmil.data.TileSiteFiles;
import org.fedmil.data.split.Seeds;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.util.AtomicFiles;

/**
 * MNIST-bags (Ilse, Tomczak and Welling 2018) from any image array: each bag holds n distinct images of the
 * pool, n = round(N(mean, std²)) but at least 1 (and at most the pool); a bag is positive iff it holds at least
 * one image of the target class. Written as one tile site folder: {@code bags.csv}, {@code tiles/<bag_id>/NN.png}
 * (the images as 8-bit PNGs), {@value #INSTANCE_LABELS} ({@code bag_id,tile,label}, label 1 iff the tile is of the
 * target class; the loader ignores it) and {@value #MANIFEST}.
 *
 * <p>Without balance, bags are drawn from the whole pool (the positive share is then whatever the target class's
 * frequency gives: about 1 − 0.9^10 ≈ 65% for one class in ten). With balance, half the bags (rounded down) are
 * positive: a negative bag is drawn from the images of other classes; a positive bag is drawn from the whole pool
 * until it holds a target image (after {@value #POSITIVE_TRIES} tries, one target image replaces a random one).
 */
public final class ArrayBags {

    public static final String GENERATOR = "fedmil-array-bags/1";
    public static final String INSTANCE_LABELS = "instance_labels.csv";
    public static final String MANIFEST = "manifest.json";
    static final int POSITIVE_TRIES = 100;

    /**
     * @param bags        number of bags
     * @param targetClass the class whose presence makes a bag positive
     * @param meanBagSize mean of the normal bag-size distribution
     * @param bagSizeStd  its standard deviation
     * @param balance     half the bags positive, half negative
     */
    public record Config(int bags, int targetClass, double meanBagSize, double bagSizeStd, boolean balance,
                         long seed) {

        public Config {
            if (bags < 1) {
                throw new IllegalArgumentException("--bags must be at least 1, got " + bags);
            }
            if (targetClass < 0) {
                throw new IllegalArgumentException("--target-class must be a class number 0, 1, 2, ..., got "
                        + targetClass);
            }
            if (!(meanBagSize >= 1 && meanBagSize <= 10_000)) {
                throw new IllegalArgumentException("--bag-size-mean must be between 1 and 10000, got " + meanBagSize);
            }
            if (!(bagSizeStd >= 0 && Double.isFinite(bagSizeStd))) {
                throw new IllegalArgumentException("--bag-size-std must not be negative, got " + bagSizeStd);
            }
        }
    }

    /** One bag: its id, label and the pool indices of its images in instance order. */
    public record ArrayBag(String id, int label, int[] images) {
    }

    private final Config config;
    private final ImageArray pool;
    private final List<ArrayBag> bags;

    private ArrayBags(Config config, ImageArray pool, List<ArrayBag> bags) {
        this.config = config;
        this.pool = pool;
        this.bags = bags;
    }

    /** Draws the bags; nothing is written. */
    public static ArrayBags generate(ImageArray pool, Config cfg) {
        List<Integer> targets = new ArrayList<>();
        List<Integer> others = new ArrayList<>();
        for (int i = 0; i < pool.count(); i++) {
            (pool.classOf(i) == cfg.targetClass() ? targets : others).add(i);
        }
        if (targets.isEmpty()) {
            throw new SourceDataException(null, "no image has class " + cfg.targetClass() + " (--target-class); the "
                    + "labels hold classes " + pool.classesPresent());
        }
        if (cfg.balance() && others.isEmpty()) {
            throw new SourceDataException(null, "every image has class " + cfg.targetClass() + ", so no bag can be "
                    + "negative; choose another --target-class");
        }
        Random rng = new Random(Seeds.derive(cfg.seed(), 1));
        String format = "bag-%0" + Math.max(4, Integer.toString(cfg.bags()).length()) + "d";
        List<ArrayBag> bags = new ArrayList<>(cfg.bags());
        for (int b = 0; b < cfg.bags(); b++) {
            int size = size(cfg, pool.count(), rng);
            int[] images;
            if (!cfg.balance()) {
                images = distinct(size, pool.count(), null, rng);
            } else if (b % 2 == 1 || (b == cfg.bags() - 1 && cfg.bags() % 2 == 1)) {
                images = distinct(Math.min(size, others.size()), others.size(), others, rng);
            } else {
                images = positive(size, pool, cfg.targetClass(), targets, rng);
            }
            int label = 0;
            for (int i : images) {
                label |= pool.classOf(i) == cfg.targetClass() ? 1 : 0;
            }
            bags.add(new ArrayBag(String.format(Locale.ROOT, format, b + 1), label, images));
        }
        return new ArrayBags(cfg, pool, List.copyOf(bags));
    }

    private static int size(Config cfg, int poolSize, Random rng) {
        long n = Math.round(cfg.meanBagSize() + cfg.bagSizeStd() * rng.nextGaussian());
        return (int) Math.max(1, Math.min(n, poolSize));
    }

    private static int[] positive(int size, ImageArray pool, int target, List<Integer> targets, Random rng) {
        int[] images = null;
        for (int t = 0; t < POSITIVE_TRIES; t++) {
            images = distinct(size, pool.count(), null, rng);
            for (int i : images) {
                if (pool.classOf(i) == target) {
                    return images;
                }
            }
        }
        images[rng.nextInt(size)] = targets.get(rng.nextInt(targets.size()));
        return images;
    }

    /** {@code n} distinct indices below {@code bound} (mapped through {@code from} if given), in drawn order. */
    private static int[] distinct(int n, int bound, List<Integer> from, Random rng) {
        int[] out = new int[n];
        Set<Integer> used = new HashSet<>();
        for (int i = 0; i < n; i++) {
            int x;
            do {
                x = rng.nextInt(bound);
            } while (!used.add(x));
            out[i] = from == null ? x : from.get(x);
        }
        return out;
    }

    public List<ArrayBag> bags() {
        return bags;
    }

    /** Writes the site folder {@code dir}; {@code tiles/} is replaced whole and bags.csv is written last. */
    public void writeTo(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.deleteIfExists(dir.resolve(BagDataset.INDEX_FILE));
        TileSiteFiles.replaceTilesFolder(dir);
        StringBuilder labels = new StringBuilder("bag_id,tile,label\n");
        for (ArrayBag bag : bags) {
            Path folder = Files.createDirectories(dir.resolve(BagDataset.TILES_DIR).resolve(bag.id()));
            for (int i = 0; i < bag.images().length; i++) {
                String name = String.format(Locale.ROOT, "%0" + Math.max(2, Integer.toString(bag.images().length - 1)
                        .length()) + "d.png", i);
                ImageIO.write(image(bag.images()[i]), "png", folder.resolve(name).toFile());
                labels.append(bag.id()).append(',').append(name).append(',')
                        .append(pool.classOf(bag.images()[i]) == config.targetClass() ? 1 : 0).append('\n');
            }
        }
        TileSiteFiles.writeText(dir.resolve(INSTANCE_LABELS), labels.toString());
        byte[] manifest = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(manifest());
        AtomicFiles.write(dir.resolve(MANIFEST), out -> out.write(manifest));
        TileSiteFiles.writeIndex(dir, bags.stream().map(b -> new TileSiteFiles.Row(b.id(), b.label())).toList());
    }

    private BufferedImage image(int index) {
        int c = pool.channels();
        BufferedImage img = new BufferedImage(pool.width(), pool.height(), c == 1 ? BufferedImage.TYPE_BYTE_GRAY
                : BufferedImage.TYPE_3BYTE_BGR);
        int[] px = pool.pixels(index);
        int plane = pool.width() * pool.height();
        int[] band = new int[plane];
        for (int ch = 0; ch < c; ch++) {
            for (int i = 0; i < plane; i++) {
                band[i] = px[i * c + ch];
            }
            img.getRaster().setSamples(0, 0, pool.width(), pool.height(), ch, band);
        }
        return img;
    }

    /** Counts as written to the manifest and printed. */
    public Map<String, Object> stats() {
        int positives = 0;
        int instances = 0;
        int targets = 0;
        int min = Integer.MAX_VALUE;
        int max = 0;
        for (ArrayBag b : bags) {
            positives += b.label();
            instances += b.images().length;
            min = Math.min(min, b.images().length);
            max = Math.max(max, b.images().length);
            for (int i : b.images()) {
                targets += pool.classOf(i) == config.targetClass() ? 1 : 0;
            }
        }
        return TileSiteFiles.ordered("bags", bags.size(), "positives", positives, "instances", instances,
                "target_instances", targets, "min_bag_size", min, "max_bag_size", max);
    }

    public Map<String, Object> manifest() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", GENERATOR);
        m.put("protocol", "MNIST-bags (Ilse et al. 2018): a bag is positive iff it holds at least one image of the "
                + "target class");
        m.put("source", pool.source());
        m.put("seed", config.seed());
        m.put("target_class", config.targetClass());
        m.put("balance", config.balance());
        m.put("bag_size", TileSiteFiles.ordered("mean", config.meanBagSize(), "std", config.bagSizeStd(), "min", 1));
        m.put("tile_format", TileSiteFiles.ordered("channels", pool.channels(), "size",
                Math.max(pool.height(), pool.width())));
        m.put("counts", stats());
        return m;
    }
}
