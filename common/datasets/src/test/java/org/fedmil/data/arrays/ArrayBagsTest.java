package org.fedmil.data.arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.fedmil.data.SourceDataException;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.NpyArray;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** MNIST-bags from image arrays: the label rule, bag sizes, balance, the written folder and bad arrays. */
class ArrayBagsTest {

    private static final int N = 200;
    private static final int SIDE = 6;

    @TempDir
    Path tmp;

    /** N grey 6×6 images whose pixels all equal their index mod 256; class = index mod 10. */
    private static NpyArray images(String descr, long... shape) {
        return images(descr, 1.0, shape);
    }

    /** As above; float64 values are the index times {@code f8Factor}. */
    private static NpyArray images(String descr, double f8Factor, long... shape) {
        long count = 1;
        for (long s : shape) {
            count *= s;
        }
        int per = (int) (count / shape[0]);
        int size = Integer.parseInt(descr.substring(2));
        ByteBuffer b = ByteBuffer.allocate((int) count * size).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < count; i++) {
            int v = (i / per) % 256;
            switch (descr) {
                case "|u1" -> b.put((byte) v);
                case "<f4" -> b.putFloat(v / 255f);
                case "<f8" -> b.putDouble(v * f8Factor);
                default -> b.putLong(v);
            }
        }
        return new NpyArray("t", descr, shape, b.flip());
    }

    private static NpyArray labels(int n) {
        ByteBuffer b = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putLong(i % 10);
        }
        return new NpyArray("t", "<i8", new long[] {n}, b.flip());
    }

    private Path npy(String name, NpyArray a) throws IOException {
        try (OutputStream out = Files.newOutputStream(tmp.resolve(name))) {
            a.writeTo(out);
        }
        return tmp.resolve(name);
    }

    private Path npz(String name, Map<String, NpyArray> arrays) throws IOException {
        Path file = tmp.resolve(name);
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, NpyArray> e : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey() + ".npy"));
                e.getValue().writeTo(zip);
                zip.closeEntry();
            }
        }
        return file;
    }

    private ImageArray greyPool() throws IOException {
        return ImageArray.read(npy("x.npy", images("|u1", N, SIDE, SIDE)), "images",
                Optional.of(npy("y.npy", labels(N))), "labels");
    }

    @Test
    void aBagIsPositiveIffItHoldsAtLeastOneTargetInstance() throws IOException {
        ImageArray pool = greyPool();

        ArrayBags bags = ArrayBags.generate(pool, new ArrayBags.Config(300, 9, 10, 2, false, 3));

        long positives = 0;
        for (ArrayBags.ArrayBag b : bags.bags()) {
            boolean hasTarget = java.util.Arrays.stream(b.images()).anyMatch(i -> pool.classOf(i) == 9);
            assertThat(b.label()).isEqualTo(hasTarget ? 1 : 0);
            positives += b.label();
        }
        assertThat(positives).isBetween(150L, 240L); // 1 - 0.9^10 = 0.65 of 300 = 195
    }

    @Test
    void bagSizesFollowTheNormalDistributionAndAreAtLeastOne() throws IOException {
        ImageArray pool = greyPool();

        List<ArrayBags.ArrayBag> normal = ArrayBags.generate(pool, new ArrayBags.Config(2000, 3, 10, 2, false, 1))
                .bags();
        List<ArrayBags.ArrayBag> wide = ArrayBags.generate(pool, new ArrayBags.Config(500, 3, 2, 5, false, 1))
                .bags();

        double mean = normal.stream().mapToInt(b -> b.images().length).average().orElseThrow();
        double var = normal.stream().mapToDouble(b -> Math.pow(b.images().length - mean, 2)).sum() / normal.size();
        assertThat(mean).isBetween(9.85, 10.15);
        assertThat(Math.sqrt(var)).isBetween(1.85, 2.15);
        assertThat(wide).allMatch(b -> b.images().length >= 1);
        assertThat(wide).allMatch(b -> java.util.Arrays.stream(b.images()).distinct().count() == b.images().length);
    }

    @Test
    void balanceDrawsEqualNumbersOfPositiveAndNegativeBags() throws IOException {
        ImageArray pool = greyPool();

        ArrayBags bags = ArrayBags.generate(pool, new ArrayBags.Config(101, 0, 10, 2, true, 5));

        assertThat(bags.bags().stream().filter(b -> b.label() == 1).count()).isEqualTo(50);
        assertThat(bags.bags().stream().filter(b -> b.label() == 0).count()).isEqualTo(51);
    }

    @Test
    void writtenBagsLoadAsATileSiteWithTheirPixelsAndInstanceLabels() throws IOException {
        ImageArray pool = greyPool();
        ArrayBags bags = ArrayBags.generate(pool, new ArrayBags.Config(20, 9, 5, 1, true, 2));
        Path out = tmp.resolve("site");

        bags.writeTo(out);
        BagDataset site = BagDataset.load(out, new TileFormat(1, SIDE));

        assertThat(site.size()).isEqualTo(20);
        assertThat(site.labelCounts().positives()).isEqualTo(10);
        Bag first = site.bags().get(0);
        int image = bags.bags().get(0).images()[0];
        assertThat(first.features()[0]).isEqualTo((image % 256) / 255f);
        List<String> rows = Files.readAllLines(out.resolve(ArrayBags.INSTANCE_LABELS));
        assertThat(rows.get(0)).isEqualTo("bag_id,tile,label");
        assertThat(rows.get(1)).isEqualTo("bag-0001,00.png," + (pool.classOf(image) == 9 ? 1 : 0));
        assertThat(Files.readString(out.resolve(ArrayBags.MANIFEST))).contains("\"target_class\" : 9",
                "\"positives\" : 10");
    }

    @Test
    void floatAndRgbArraysFromAnNpzAreScaledAndKeepTheirChannels() throws IOException {
        Map<String, NpyArray> arrays = new HashMap<>();
        arrays.put("x_train", images("<f4", N, SIDE, SIDE, 3));
        arrays.put("y_train", labels(N));
        Path file = npz("d.npz", arrays);

        ImageArray pool = ImageArray.read(file, "x_train", Optional.empty(), "y_train");

        assertThat(pool.channels()).isEqualTo(3);
        assertThat(pool.pixels(7)).containsOnly(7);
        assertThat(ImageArray.read(npy("f8.npy", images("<f8", N, SIDE, SIDE)), "", Optional.of(npy("l.npy",
                labels(N))), "").pixels(100)).containsOnly(100);
    }

    @Test
    void badArraysAreRefusedNamingTheFileAndWhatToDo() throws IOException {
        Path y = npy("y.npy", labels(N));
        Path flat = npy("flat.npy", images("|u1", N, SIDE));
        Path rgba = npy("rgba.npy", images("|u1", N, SIDE, SIDE, 4));
        Path ints = npy("ints.npy", images("<i8", N, SIDE, SIDE));
        Path big = npy("big.npy", images("<f8", 2.0, N, SIDE, SIDE)); // values up to 2 * 199
        Path fewLabels = npy("few.npy", labels(N - 1));
        Path x = npy("x.npy", images("|u1", N, SIDE, SIDE));
        Path z = npz("z.npz", Map.of("a", labels(3)));

        assertThatThrownBy(() -> ImageArray.read(flat, "", Optional.of(y), ""))
                .isInstanceOf(SourceDataException.class).hasMessageContaining(flat.toString())
                .hasMessageContaining("shape (200, 6); expected [N, H, W]");
        assertThatThrownBy(() -> ImageArray.read(rgba, "", Optional.of(y), "")).hasMessageContaining("drop alpha");
        assertThatThrownBy(() -> ImageArray.read(ints, "", Optional.of(y), "")).hasMessageContaining("int64")
                .hasMessageContaining("astype(numpy.uint8)");
        assertThatThrownBy(() -> ImageArray.read(big, "", Optional.of(y), "")).hasMessageContaining("range from 0.0 "
                + "to 398.0");
        assertThatThrownBy(() -> ImageArray.read(x, "", Optional.of(fewLabels), ""))
                .hasMessageContaining(fewLabels.toString()).hasMessageContaining("expected one class per image, "
                        + "shape (200,)");
        assertThatThrownBy(() -> ImageArray.read(x, "", Optional.empty(), "")).hasMessageContaining("--labels");
        assertThatThrownBy(() -> ImageArray.read(z, "images", Optional.empty(), "labels"))
                .hasMessageContaining(z.toString()).hasMessageContaining("no array named 'images'")
                .hasMessageContaining("[a]");
        assertThatThrownBy(() -> ArrayBags.generate(greyPool(), new ArrayBags.Config(10, 11, 10, 2, false, 1)))
                .hasMessageContaining("no image has class 11").hasMessageContaining("[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]");
    }
}
