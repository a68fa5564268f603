package org.fedmil.data.synth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.fedmil.data.synth.SyntheticMilData.Config;
import org.fedmil.data.synth.SyntheticMilData.SiteStats;
import org.fedmil.data.synth.SyntheticMilData.SyntheticBag;
import org.fedmil.data.synth.SyntheticMilData.SyntheticSite;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticMilDataTest {

    private static SyntheticMilData data;

    @TempDir
    Path tmp;

    @BeforeAll
    static void generateDefaults() {
        data = SyntheticMilData.generate(Config.defaults());
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
    void sameSeedWritesByteIdenticalFiles() throws IOException {
        SyntheticMilData.generate(Config.defaults()).writeTo(tmp.resolve("a"));
        SyntheticMilData.generate(Config.defaults()).writeTo(tmp.resolve("b"));

        Map<String, byte[]> a = files(tmp.resolve("a"));
        Map<String, byte[]> b = files(tmp.resolve("b"));
        assertThat(a.keySet()).hasSize(4 + 3 * 160 + 200 + 2).isEqualTo(b.keySet());
        a.forEach((name, bytes) -> assertThat(b.get(name)).as(name).isEqualTo(bytes));
    }

    @Test
    void differentSeedWritesDifferentData() throws IOException {
        SyntheticMilData.generate(Config.defaults()).writeTo(tmp.resolve("a"));
        SyntheticMilData.generate(Config.defaults().withSeed(43)).writeTo(tmp.resolve("b"));

        assertThat(Files.readAllBytes(tmp.resolve("b/site-1/bags/s1-bag0001.npy")))
                .isNotEqualTo(Files.readAllBytes(tmp.resolve("a/site-1/bags/s1-bag0001.npy")));
        assertThat(Files.readString(tmp.resolve("b/site-2/bags.csv")))
                .isNotEqualTo(Files.readString(tmp.resolve("a/site-2/bags.csv")));
    }

    @Test
    void writesSiteFoldersThatLoadBackAndNoInstanceLabels() throws IOException {
        data.writeTo(tmp);

        try (Stream<Path> top = Files.list(tmp)) {
            assertThat(top.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder(
                    "site-1", "site-2", "site-3", "heldout", "manifest.json", "README.txt");
        }
        for (SyntheticSite site : concat(data.sites(), data.heldout())) {
            Path dir = tmp.resolve(site.name());
            try (Stream<Path> entries = Files.list(dir)) {
                assertThat(entries.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("bags.csv", "bags");
            }
            BagDataset loaded = BagDataset.load(dir);
            assertThat(loaded.dim()).isEqualTo(32);
            assertThat(loaded.size()).isEqualTo(site.bags().size());
            for (int i = 0; i < loaded.size(); i++) {
                Bag want = site.bags().get(i).bag();
                Bag got = loaded.bags().get(i);
                assertThat(got.id()).isEqualTo(want.id());
                assertThat(got.label()).isEqualTo(want.label());
                assertThat(got.features()).isEqualTo(want.features());
            }
        }
        String manifest = Files.readString(tmp.resolve("manifest.json"));
        assertThat(manifest).contains("\"lesionSignal\" : 6.0", "\"name\" : \"site-3\"").doesNotContain("lesion\" : [");
    }

    @Test
    void sitesAreNonIidAsConfigured() {
        List<SiteStats> stats = data.sites().stream().map(SyntheticSite::stats).toList();

        assertThat(stats).extracting(SiteStats::bags).containsExactly(160, 160, 160);
        assertThat(stats.get(0).positiveRate()).isCloseTo(0.25, within(0.01));
        assertThat(stats.get(1).positiveRate()).isCloseTo(0.50, within(0.01));
        assertThat(stats.get(2).positiveRate()).isCloseTo(0.65, within(0.01));
        assertThat(stats.get(0).meanBagSize()).isBetween(8.0, 12.0);
        assertThat(stats.get(1).meanBagSize()).isBetween(20.0, 30.0);
        assertThat(stats.get(2).meanBagSize()).isBetween(40.0, 60.0);
    }

    @Test
    void heldoutIsBalancedWithMixedBagSizes() {
        SiteStats h = data.heldout().stats();

        assertThat(h.bags()).isEqualTo(200);
        assertThat(h.positiveRate()).isEqualTo(0.5);
        assertThat(h.minBagSize()).isLessThanOrEqualTo(6);
        assertThat(h.maxBagSize()).isGreaterThanOrEqualTo(80);
    }

    @Test
    void otherSiteCountsInterpolateTheAnchors() {
        Config five = Config.defaults().withSites(5);

        assertThat(List.of(0, 1, 2, 3, 4)).extracting(five::positiveRateOf)
                .containsExactly(0.25, 0.375, 0.5, 0.575, 0.65);
        assertThat(five.meanBagSizeOf(1)).isStrictlyBetween(10.0, 25.0);
        assertThat(Config.defaults().withSites(1).meanBagSizeOf(0)).isEqualTo(25.0);
        assertThat(SyntheticMilData.generate(five.withBags(20, 20)).sites()).hasSize(5);
    }

    @Test
    void aBagIsPositiveExactlyWhenItHoldsALesion() {
        Config cfg = data.config();
        for (SyntheticSite site : concat(data.sites(), data.heldout())) {
            for (SyntheticBag b : site.bags()) {
                if (b.bag().label() == 1) {
                    assertThat(b.lesionCount()).as(b.bag().id())
                            .isBetween(cfg.minLesions(), cfg.maxLesions())
                            .isLessThan(b.bag().instances());
                } else {
                    assertThat(b.lesionCount()).as(b.bag().id()).isZero();
                }
            }
        }
    }

    @Test
    void bagSizeAloneDoesNotPredictTheLabel() {
        List<SyntheticBag> bags = data.heldout().bags();
        double[] size = bags.stream().mapToDouble(b -> b.bag().instances()).toArray();

        assertThat(auc(size, labels(bags))).isBetween(0.35, 0.65);
    }

    /**
     * The MIL property with the best linear instance scorer (fit on training instance labels, which a real
     * model never sees): its maximum over a bag separates held-out bags well, its mean over a bag clearly less.
     */
    @Test
    void lesionsAreClearPerInstanceButDilutedInTheBagMean() {
        int d = data.config().dim();
        double[] lesionMean = new double[d];
        double[] normalMean = new double[d];
        long lesions = 0;
        long normals = 0;
        for (SyntheticSite site : data.sites()) {
            for (SyntheticBag b : site.bags()) {
                float[] x = b.bag().features();
                for (int i = 0; i < b.bag().instances(); i++) {
                    double[] target = b.lesion()[i] ? lesionMean : normalMean;
                    for (int k = 0; k < d; k++) {
                        target[k] += x[i * d + k];
                    }
                    if (b.lesion()[i]) {
                        lesions++;
                    } else {
                        normals++;
                    }
                }
            }
        }
        double[] w = new double[d];
        for (int k = 0; k < d; k++) {
            w[k] = lesionMean[k] / lesions - normalMean[k] / normals;
        }
        List<SyntheticBag> held = data.heldout().bags();
        double[] maxScore = new double[held.size()];
        double[] meanScore = new double[held.size()];
        for (int j = 0; j < held.size(); j++) {
            Bag b = held.get(j).bag();
            double max = Double.NEGATIVE_INFINITY;
            double sum = 0;
            for (int i = 0; i < b.instances(); i++) {
                double s = 0;
                for (int k = 0; k < d; k++) {
                    s += w[k] * b.features()[i * d + k];
                }
                max = Math.max(max, s);
                sum += s;
            }
            maxScore[j] = max;
            meanScore[j] = sum / b.instances();
        }
        int[] y = labels(held);
        double maxAuc = auc(maxScore, y);
        double meanAuc = auc(meanScore, y);

        assertThat(maxAuc).isGreaterThan(0.9);
        assertThat(meanAuc).isLessThan(maxAuc - 0.1);
    }

    private static List<SyntheticSite> concat(List<SyntheticSite> sites, SyntheticSite heldout) {
        List<SyntheticSite> all = new ArrayList<>(sites);
        all.add(heldout);
        return all;
    }

    private static int[] labels(List<SyntheticBag> bags) {
        return bags.stream().mapToInt(b -> b.bag().label()).toArray();
    }

    /** Mann-Whitney AUC, ties counted half. */
    static double auc(double[] score, int[] label) {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < score.length; i++) {
            for (int j = 0; j < score.length; j++) {
                if (label[i] == 1 && label[j] == 0) {
                    pairs++;
                    wins += score[i] > score[j] ? 1 : score[i] == score[j] ? 0.5 : 0;
                }
            }
        }
        return wins / pairs;
    }
}
