package org.fedmil.data.fmnist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;

import org.fedmil.data.SourceDataException;
import org.fedmil.data.fmnist.FmnistBags.Config;
import org.fedmil.data.fmnist.FmnistBags.FmnistBag;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FmnistBagsTest {

    private static final TileFormat FORMAT = new TileFormat(1, 28);
    private static final Config SMALL = Config.defaults().withSites(3).withBags(40, 12).withSeed(7);

    @TempDir
    Path tmp;

    private static void assumeFashionMnist() {
        boolean present = Files.isDirectory(FmnistBags.DEFAULT_SOURCE);
        if (!present) {
            System.out.println("FmnistBagsTest: skipped, " + FmnistBags.DEFAULT_SOURCE + " is absent (install the "
                    + "Debian package " + FmnistBags.APT_PACKAGE + ")");
        }
        Assumptions.assumeTrue(present, FmnistBags.DEFAULT_SOURCE + " is absent (apt-get install "
                + FmnistBags.APT_PACKAGE + ")");
    }

    private static Map<String, byte[]> files(Path dir) throws IOException {
        Map<String, byte[]> out = new TreeMap<>();
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                out.put(dir.relativize(p).toString(), Files.readAllBytes(p));
            }
        }
        return out;
    }

    @Test
    void smallGenerationLoadsAsTileSitesWithLabelsByTheTargetClassRule() throws IOException {
        assumeFashionMnist();
        FmnistBags data = FmnistBags.generate(SMALL);
        data.writeTo(tmp);

        try (Stream<Path> top = Files.list(tmp)) {
            assertThat(top.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "site-1", "site-2", "site-3", "heldout", "manifest.json");
        }
        Set<String> ids = new HashSet<>();
        int trainBags = 0;
        for (FmnistBags.Site site : data.sites()) {
            BagDataset loaded = BagDataset.load(tmp.resolve(site.name()), FORMAT);
            assertThat(loaded.isTiles()).isTrue();
            assertThat(loaded.size()).isEqualTo(site.bags().size()).isGreaterThanOrEqualTo(2);
            trainBags += loaded.size();
            for (int i = 0; i < loaded.size(); i++) {
                FmnistBag want = site.bags().get(i);
                Bag got = loaded.bags().get(i);
                assertThat(ids.add(got.id())).as("bag %s in one site only", got.id()).isTrue();
                assertThat(got.id()).isEqualTo(want.id()).startsWith("train-");
                assertThat(got.instances()).isEqualTo(want.size()).isGreaterThanOrEqualTo(2);
                boolean hasTarget = false;
                for (int c : want.classes()) {
                    hasTarget |= c == 9;
                }
                assertThat(got.label()).isEqualTo(hasTarget ? 1 : 0);
            }
        }
        assertThat(trainBags).isEqualTo(40);
        assertThat(Files.exists(tmp.resolve("site-1/instance_labels.csv"))).isFalse();

        // Held-out: labels follow the target-class rule as recorded in instance_labels.csv, tile by tile.
        BagDataset heldout = BagDataset.load(tmp.resolve("heldout"), FORMAT);
        assertThat(heldout.size()).isEqualTo(12);
        List<String> rows = Files.readAllLines(tmp.resolve("heldout/instance_labels.csv"));
        assertThat(rows.get(0)).isEqualTo("bag_id,tile,label");
        Map<String, List<String[]>> byBag = new HashMap<>();
        for (String row : rows.subList(1, rows.size())) {
            String[] f = row.split(",");
            byBag.computeIfAbsent(f[0], k -> new ArrayList<>()).add(f);
        }
        int positives = 0;
        for (int i = 0; i < heldout.size(); i++) {
            Bag bag = heldout.bags().get(i);
            List<String[]> tiles = byBag.get(bag.id());
            List<Path> files = heldout.tileFiles(bag.id());
            assertThat(tiles).hasSize(bag.instances());
            assertThat(files).extracting(p -> p.getFileName().toString())
                    .containsExactly(tiles.stream().map(f -> f[1]).toArray(String[]::new));
            boolean anyTarget = tiles.stream().anyMatch(f -> f[2].equals("1"));
            assertThat(bag.label()).as(bag.id()).isEqualTo(anyTarget ? 1 : 0);
            assertThat(bag.id()).startsWith("heldout-");
            positives += bag.label();
        }
        assertThat(positives).isBetween(1, 11);

        // Tiles hold the source pixels exactly.
        Idx.Images test = Idx.readImages(FmnistBags.DEFAULT_SOURCE.resolve(FmnistBags.TEST_IMAGES));
        FmnistBag first = data.heldout().bags().get(0);
        float[] features = heldout.bags().get(0).features();
        for (int t = 0; t < first.size(); t++) {
            for (int p = 0; p < 28 * 28; p++) {
                assertThat(features[t * 784 + p]).isEqualTo(test.pixel(first.images()[t], p / 28, p % 28) / 255f);
            }
        }
        String manifest = Files.readString(tmp.resolve("manifest.json"));
        assertThat(manifest).contains("\"seed\" : 7", "\"target_class\" : 9", "\"alpha\" : 0.5",
                "\"name\" : \"site-3\"", "Ankle boot", "\"sha256\"");
    }

    @Test
    void sameSeedWritesByteIdenticalFilesAndAnotherSeedDoesNot() throws IOException {
        assumeFashionMnist();
        FmnistBags.generate(SMALL).writeTo(tmp.resolve("a"));
        FmnistBags.generate(SMALL).writeTo(tmp.resolve("b"));
        FmnistBags.generate(SMALL.withSeed(8)).writeTo(tmp.resolve("c"));

        Map<String, byte[]> a = files(tmp.resolve("a"));
        Map<String, byte[]> b = files(tmp.resolve("b"));
        assertThat(a.keySet()).isEqualTo(b.keySet());
        a.forEach((name, bytes) -> assertThat(b.get(name)).as(name).isEqualTo(bytes));
        assertThat(files(tmp.resolve("c")).get("heldout/instance_labels.csv"))
                .isNotEqualTo(a.get("heldout/instance_labels.csv"));
    }

    @Test
    void trainingAndHeldOutBagsComeFromDisjointPoolsAndBagsNeverRepeatAnImage() {
        assumeFashionMnist();
        FmnistBags data = FmnistBags.generate(SMALL);

        for (FmnistBags.Site site : data.sites()) {
            for (FmnistBag bag : site.bags()) {
                assertThat(bag.images()).doesNotHaveDuplicates();
            }
        }
        // Held-out images are indices into the 10,000 test images, training ones into the 60,000.
        assertThat(data.heldout().bags().stream().flatMapToInt(b -> java.util.Arrays.stream(b.images())).max()
                .getAsInt()).isLessThan(10_000);
        assertThat(data.config().targetClass()).isEqualTo(9);
    }

    @Test
    void rewritingReplacesTheTilesOfEarlierRuns() throws IOException {
        assumeFashionMnist();
        FmnistBags.generate(SMALL.withSites(1).withBags(30, 4)).writeTo(tmp);
        FmnistBags.generate(SMALL.withSites(1).withBags(5, 4)).writeTo(tmp);

        try (Stream<Path> bags = Files.list(tmp.resolve("site-1/tiles"))) {
            assertThat(bags).hasSize(5);
        }
        assertThat(BagDataset.load(tmp.resolve("site-1"), FORMAT).size()).isEqualTo(5);
    }

    @Test
    void missingSourceNamesTheAptPackage() {
        Path nowhere = tmp.resolve("no-such-folder");
        assertThatThrownBy(() -> FmnistBags.generate(SMALL.withSource(nowhere)))
                .isInstanceOf(SourceDataException.class)
                .hasMessageContainingAll(nowhere.toString(), "apt-get install dataset-fashion-mnist");
    }

    @Test
    void missingIdxFileNamesTheFileAndTheAptPackage() {
        Path f = tmp.resolve("train-images-idx3-ubyte.gz");
        assertThatThrownBy(() -> Idx.readImages(f)).isInstanceOf(SourceDataException.class)
                .hasMessageContainingAll(f.toString(), "not found", "dataset-fashion-mnist");
    }

    private Path gz(String name, byte[] content) throws IOException {
        Path f = tmp.resolve(name);
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(f))) {
            out.write(content);
        }
        return f;
    }

    @Test
    void badMagicNamesTheFile() throws IOException {
        Path labels = gz("labels.gz", ByteBuffer.allocate(12).putInt(0x0801).putInt(3).put(new byte[] {1, 2, 3})
                .array());
        assertThatThrownBy(() -> Idx.readImages(labels)).isInstanceOf(SourceDataException.class)
                .hasMessageContainingAll(labels.toString(), "bad magic number 0x00000801, expected 0x00000803");

        Path plain = tmp.resolve("plain.gz");
        Files.writeString(plain, "not gzip");
        assertThatThrownBy(() -> Idx.readLabels(plain)).hasMessageContainingAll(plain.toString(), "not a gzip file");
    }

    @Test
    void truncatedIdxNamesTheFile() throws IOException {
        Path f = gz("images.gz", ByteBuffer.allocate(16 + 10).putInt(0x0803).putInt(2).putInt(28).putInt(28)
                .array());
        assertThatThrownBy(() -> Idx.readImages(f)).isInstanceOf(SourceDataException.class)
                .hasMessageContainingAll(f.toString(), "truncated");
    }

    @Test
    void idxRoundTrip() throws IOException {
        byte[] pixels = new byte[2 * 3 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i * 10);
        }
        Path f = gz("i.gz", ByteBuffer.allocate(16 + pixels.length).putInt(0x0803).putInt(2).putInt(3).putInt(4)
                .put(pixels).array());

        Idx.Images images = Idx.readImages(f);

        assertThat(images.count()).isEqualTo(2);
        assertThat(images.pixel(1, 2, 3)).isEqualTo(230);
    }

    @Test
    void tileNamesSortInInstanceOrder() {
        assertThat(FmnistBags.tileName(0, 10)).isEqualTo("00.png");
        assertThat(FmnistBags.tileName(9, 10)).isEqualTo("09.png");
        assertThat(FmnistBags.tileName(5, 150)).isEqualTo("005.png");
    }
}
