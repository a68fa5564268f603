package org.fedmil.data.crc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import javax.imageio.ImageIO;

import org.fedmil.data.SourceDataException;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CrcNucleiTest {

    private static final TileFormat FORMAT = new TileFormat(3, 27);

    @TempDir
    Path tmp;

    /**
     * Removes the symbolic links before JUnit cleans up the temp folder, which would otherwise log a warning
     * for each of the 20,280 links (it deletes links, never their targets, either way).
     */
    @AfterEach
    void removeLinks() throws IOException {
        try (Stream<Path> walk = Files.walk(tmp)) {
            for (Path p : walk.filter(Files::isSymbolicLink).toList()) {
                Files.delete(p);
            }
        }
    }

    /** The real data set: ../shared/datasets/crc-nuclei relative to the repository root. */
    private static Path realDataset() {
        Optional<Path> dataset = CrcNuclei.besideRepository(Path.of(""));
        if (dataset.isEmpty()) {
            System.out.println("CrcNucleiTest: skipped, the crc-nuclei data set is not at ../shared/datasets/crc-nuclei"
                    + " beside the repository");
        }
        Assumptions.assumeTrue(dataset.isPresent(), "the crc-nuclei data set is not beside the repository");
        return dataset.get();
    }

    private static List<String> csv(Path siteDir) {
        return BagDataset.readIndex(siteDir).stream().map(e -> e.id() + "," + e.label()).toList();
    }

    private static Map<String, List<String>> allIndexes(Path out, int sites) {
        Map<String, List<String>> m = new HashMap<>();
        for (int k = 1; k <= sites; k++) {
            m.put("site-" + k, csv(out.resolve("site-" + k)));
        }
        m.put("heldout", csv(out.resolve("heldout")));
        return m;
    }

    @Test
    void readsNinetyEightPatientBagsFiftyOnePositive() {
        CrcNuclei data = CrcNuclei.read(realDataset());

        assertThat(data.patients()).hasSize(98);
        assertThat(data.patients().stream().filter(p -> p.label() == 1).count()).isEqualTo(51);
        assertThat(data.patients().stream().mapToInt(CrcNuclei.Patient::size).sum()).isEqualTo(20_280);
        assertThat(data.patients().stream().mapToInt(CrcNuclei.Patient::size).min().getAsInt()).isEqualTo(6);
        assertThat(data.patients().stream().mapToInt(CrcNuclei.Patient::size).max().getAsInt()).isEqualTo(699);
        assertThat(data.patients().get(6).bagId()).isEqualTo("patient-07");
    }

    @Test
    void aSplitLoadsAsTileSitesHoldingEveryBagExactlyOnce() throws IOException {
        Path dataset = realDataset();
        CrcNuclei data = CrcNuclei.read(dataset);

        CrcNuclei.Split split = data.writeSplit(tmp, 4, 0.5, 0.25, 1);

        assertThat(split).isEqualTo(data.split(4, 0.5, 0.25, 1));
        for (int k = 0; k < 4; k++) {
            assertThat(BagDataset.readIndex(tmp.resolve("site-" + (k + 1)))).extracting(BagEntry::id)
                    .containsExactlyElementsOf(split.sites().get(k));
        }

        Set<String> seen = new HashSet<>();
        int bags = 0;
        int positives = 0;
        int tiles = 0;
        List<String> folders = new ArrayList<>(List.of("site-1", "site-2", "site-3", "site-4", "heldout"));
        for (String name : folders) {
            BagDataset site = BagDataset.load(tmp.resolve(name), FORMAT);
            assertThat(site.isTiles()).isTrue();
            assertThat(site.size()).as(name).isGreaterThanOrEqualTo(2);
            bags += site.size();
            positives += (int) site.labelCounts().positives();
            for (BagEntry e : BagDataset.readIndex(tmp.resolve(name))) {
                assertThat(seen.add(e.id())).as(e.id() + " once").isTrue();
                List<Path> files = site.tileFiles(e.id());
                tiles += files.size();
                assertThat(Files.isSymbolicLink(files.get(0))).isTrue();
                assertThat(Files.readSymbolicLink(files.get(0)).startsWith(dataset.toAbsolutePath().normalize()))
                        .isTrue();
            }
        }
        assertThat(bags).isEqualTo(98);
        assertThat(positives).isEqualTo(51);
        assertThat(tiles).isEqualTo(20_280);
        assertThat(seen).hasSize(98);
        BagDataset heldout = BagDataset.load(tmp.resolve("heldout"), FORMAT);
        assertThat(heldout.labelCounts().positives()).isGreaterThanOrEqualTo(2);
        assertThat(heldout.labelCounts().negatives()).isGreaterThanOrEqualTo(2);
        assertThat(heldout.size()).isEqualTo(split.heldout().size()).isEqualTo(25); // round(.25·51)+round(.25·47)

        // A bag decodes to its patches, exactly as the PNG files hold them.
        Bag first = heldout.bags().get(0);
        List<Path> files = heldout.tileFiles(first.id());
        assertThat(first.instances()).isEqualTo(files.size());
        BufferedImage img = ImageIO.read(files.get(0).toFile());
        int rgb = img.getRGB(5, 3);
        assertThat(first.features()[3 * 27 + 5]).isEqualTo(((rgb >> 16) & 0xFF) / 255f);
        assertThat(first.features()[729 + 3 * 27 + 5]).isEqualTo(((rgb >> 8) & 0xFF) / 255f);
        assertThat(first.features()[2 * 729 + 3 * 27 + 5]).isEqualTo((rgb & 0xFF) / 255f);

        // instance_labels.csv: one row per held-out tile; a bag is positive iff one of its rows is.
        List<String> rows = Files.readAllLines(tmp.resolve("heldout/instance_labels.csv"));
        assertThat(rows.get(0)).isEqualTo("bag_id,tile,label");
        Map<String, Integer> anyPositive = new HashMap<>();
        for (String row : rows.subList(1, rows.size())) {
            String[] f = row.split(",");
            anyPositive.merge(f[0], Integer.parseInt(f[2]), Math::max);
            assertThat(Files.exists(tmp.resolve("heldout/tiles").resolve(f[0]).resolve(f[1]))).isTrue();
        }
        for (BagEntry e : BagDataset.readIndex(tmp.resolve("heldout"))) {
            assertThat(anyPositive.get(e.id())).as(e.id()).isEqualTo(e.label());
        }
        assertThat(Files.readString(tmp.resolve("manifest.json"))).contains("\"seed\" : 1", "\"alpha\" : 0.5",
                "symbolic links", "\"name\" : \"site-4\"");
    }

    @Test
    void sameSeedSameSplitOtherSeedAnother() {
        CrcNuclei data = CrcNuclei.read(realDataset());

        CrcNuclei.Split one = data.split(4, 0.5, 0.25, 1);
        CrcNuclei.Split other = data.split(4, 0.5, 0.25, 2);

        assertThat(data.split(4, 0.5, 0.25, 1)).isEqualTo(one);
        assertThat(other.heldout()).isNotEqualTo(one.heldout());
        assertThat(other.sites()).isNotEqualTo(one.sites());
    }

    // The rest runs on a small data set in the same layout, so it needs no real data.

    private Path fake(int patients, String mainRows) throws IOException {
        return FakeCrcNuclei.write(tmp.resolve("fake"), patients, mainRows);
    }

    @Test
    void splitsASmallDataSetIntoLinkedTileSites() throws IOException {
        CrcNuclei data = CrcNuclei.read(fake(16, ""));
        Path out = tmp.resolve("out");

        CrcNuclei.Split split = data.writeSplit(out, 2, 1.0, 0.25, 3);

        assertThat(data.patients()).hasSize(16);
        assertThat(split.heldout()).hasSize(4); // 2 per label
        assertThat(split.sites().get(0).size() + split.sites().get(1).size()).isEqualTo(12);
        BagDataset site = BagDataset.load(out.resolve("site-1"), FORMAT);
        String id = split.sites().get(0).get(0);
        assertThat(site.tileFiles(id).get(0).getFileName().toString()).matches("0000-\\d+\\.png");
        assertThat(Files.isSymbolicLink(site.tileFiles(id).get(0))).isTrue();
        assertThat(site.bags().get(0).instances()).isEqualTo(site.tileFiles(id).size());
        assertThat(split.heldout()).allMatch(s -> s.matches("patient-\\d\\d"));
    }

    @Test
    void badLabelNamesTheFileAndLine() throws IOException {
        Path d = fake(4, "999,1,1.png,x,0,2\n");
        assertThatThrownBy(() -> CrcNuclei.read(d)).isInstanceOf(SourceDataException.class)
                .hasMessageContainingAll(d.resolve("data_labels_mainData.csv").toString(), "line 9",
                        "isCancerous must be 0 or 1, got '2'");
    }

    @Test
    void missingPatchFileNamesTheLineAndTheFile() throws IOException {
        Path d = fake(4, "999,1,nope.png,x,0,0\n");
        assertThatThrownBy(() -> CrcNuclei.read(d)).hasMessageContainingAll("data_labels_mainData.csv", "line 9",
                d.resolve("patch_images/nope.png").toString(), "does not exist");
    }

    @Test
    void malformedRowsAndHeadersNameTheLine() throws IOException {
        Path d = fake(4, "abc,1,x.png,x,0,0\n");
        assertThatThrownBy(() -> CrcNuclei.read(d)).hasMessageContainingAll("line 9", "InstanceID must be an integer");

        Files.writeString(d.resolve("data_labels_mainData.csv"), "InstanceID,patientID,ImageName,isCancerous\n"
                + "1,1,1.png,0\n2,1,1.png,1\n");
        Files.writeString(d.resolve("data_labels_extraData.csv"), "InstanceID,patientID,ImageName,isCancerous\n"
                + "3,2,3.png,0\n");
        assertThatThrownBy(() -> CrcNuclei.read(d)).hasMessageContainingAll("line 3", "1.png",
                "already listed in data_labels_mainData.csv line 2");

        Files.writeString(d.resolve("data_labels_mainData.csv"), "InstanceID,patientID,ImageName,isCancerous\n"
                + "1,1,1.png,0\n");
        Files.writeString(d.resolve("data_labels_extraData.csv"), "InstanceID,patient,ImageName,isCancerous\n");
        assertThatThrownBy(() -> CrcNuclei.read(d)).hasMessageContainingAll("data_labels_extraData.csv", "line 1",
                "no column 'patientID'");
    }

    @Test
    void missingDataSetSaysWhatTheFolderMustHold() {
        Path nowhere = tmp.resolve("nowhere");
        assertThatThrownBy(() -> CrcNuclei.read(nowhere)).isInstanceOf(SourceDataException.class)
                .hasMessageContainingAll(nowhere.toString(), "not found", "data_labels_mainData.csv");
    }

    @Test
    void impossibleSplitsAreRefused() throws IOException {
        CrcNuclei data = CrcNuclei.read(fake(8, ""));

        assertThatThrownBy(() -> data.split(4, 0.5, 0.25, 1)).hasMessageContaining("too few for 4 sites");
        assertThatThrownBy(() -> data.split(2, 0.5, 1.0, 1)).hasMessageContaining("between 0 and 1");
    }
}
