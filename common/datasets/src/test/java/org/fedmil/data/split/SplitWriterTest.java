package org.fedmil.data.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.Npy;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The folders {@link SplitWriter} writes: linked, loadable, described by the manifest. */
class SplitWriterTest {

    @TempDir
    Path tmp;

    @Test
    void foldFoldersLinkToTheSourceTileFoldersAndLoadAsTileSites() throws IOException {
        Path data = SplitFixtures.tiles(tmp.resolve("data"), 6, 6);
        SplitSource source = SplitSource.read(data);
        DataSplit split = DataSplit.plan(source, new DataSplit.Options(3, 2, 0.5, 0.25, 1));
        Path out = tmp.resolve("out");
        new SplitWriter(source, split).writeAll(out);

        TileFormat format = new TileFormat(1, 8);
        for (DataSplit.Fold fold : split.folds()) {
            Path heldout = out.resolve("fold-" + fold.number()).resolve("heldout");
            BagDataset loaded = BagDataset.load(heldout, format);
            assertThat(loaded.bags()).extracting(Bag::id).containsExactlyElementsOf(fold.heldout());
            for (String id : fold.heldout()) {
                Path link = heldout.resolve("tiles").resolve(id);
                assertThat(Files.isSymbolicLink(link)).isTrue();
                assertThat(Files.readSymbolicLink(link)).isEqualTo(data.resolve("tiles").resolve(id)
                        .toAbsolutePath().normalize());
            }
            assertThat(Files.readAllLines(heldout.resolve("instance_labels.csv")))
                    .hasSize(1 + fold.heldout().stream().mapToInt(id -> loaded.tileFiles(id).size()).sum());
            for (int k = 1; k <= 2; k++) {
                assertThat(BagDataset.load(out.resolve("fold-" + fold.number()).resolve("site-" + k), format)
                        .size()).isGreaterThanOrEqualTo(2);
            }
        }
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
        assertThat(manifest.get("folds").asInt()).isEqualTo(3);
        assertThat(manifest.get("splits")).hasSize(3);
        assertThat(manifest.at("/splits/0/folders/2/name").asText()).isEqualTo("heldout");
        assertThat(manifest.at("/splits/0/folders/2/bag_ids").size()).isEqualTo(4);
    }

    @Test
    void featureFoldersLinkTheNpyFilesKeepThePatientColumnAndReadTheSameMatrices() throws IOException {
        Path data = SplitFixtures.features(tmp.resolve("data"), 12, 12, 2);
        SplitSource source = SplitSource.read(data);
        DataSplit split = DataSplit.plan(source, new DataSplit.Options(0, 3, 0.5, 0.25, 4));
        Path out = tmp.resolve("out");
        new SplitWriter(source, split).writeAll(out);

        BagDataset site = BagDataset.load(out.resolve("site-2"));
        String id = site.bags().get(0).id();
        Path link = out.resolve("site-2/bags").resolve(id + ".npy");
        assertThat(Files.isSymbolicLink(link)).isTrue();
        assertThat(site.bags().get(0).features()).containsExactly(Npy.read(data.resolve("bags/" + id + ".npy"))
                .data());
        assertThat(Files.readAllLines(out.resolve("site-2/bags.csv")).get(0)).isEqualTo("bag_id,label,patient");
        assertThat(BagDataset.load(out.resolve("heldout")).size()).isEqualTo(split.folds().get(0).heldout().size());
    }

    @Test
    void clearPreviousRemovesOldSplitFoldersButNotTheSource() throws IOException {
        Path data = SplitFixtures.features(tmp.resolve("data"), 8, 8, 0);
        SplitSource source = SplitSource.read(data);
        Path out = tmp.resolve("out");
        new SplitWriter(source, DataSplit.plan(source, new DataSplit.Options(4, 2, 0.5, 0.25, 1))).writeAll(out);
        Files.writeString(out.resolve("notes.txt"), "mine");

        SplitWriter.clearPrevious(out);
        new SplitWriter(source, DataSplit.plan(source, new DataSplit.Options(2, 2, 0.5, 0.25, 1))).writeAll(out);

        try (var entries = Files.list(out)) {
            assertThat(entries.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly("fold-1", "fold-2", "manifest.json", "notes.txt");
        }
        assertThat(Files.list(data.resolve("bags")).count()).isEqualTo(16);
    }

    @Test
    void anOutputFolderOverlappingTheDataSetIsRefused() {
        Path data = tmp.resolve("data");
        for (Path out : List.of(data, data.resolve("split"), tmp)) {
            assertThatThrownBy(() -> SplitWriter.checkSeparate(data, out))
                    .hasMessageContaining("overlaps the data set folder");
        }
        SplitWriter.checkSeparate(data, tmp.resolve("split"));
    }
}
