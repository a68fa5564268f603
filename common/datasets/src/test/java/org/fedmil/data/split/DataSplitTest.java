package org.fedmil.data.split;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.fedmil.data.SourceDataException;
import org.fedmil.data.split.SplitSource.SourceBag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where {@link DataSplit} puts bags: folds, held-out sets and sites, by bag and by patient. */
class DataSplitTest {

    @TempDir
    Path tmp;

    private static DataSplit.Options folds(int k, int sites, long seed) {
        return new DataSplit.Options(k, sites, 0.5, 0.25, seed);
    }

    private static Map<String, Integer> labels(SplitSource source) {
        Map<String, Integer> m = new HashMap<>();
        source.bags().forEach(b -> m.put(b.id(), b.label()));
        return m;
    }

    @Test
    void everyBagIsTestedInExactlyOneFoldAndFoldsAreStratifiedByLabel() throws IOException {
        SplitSource source = SplitSource.read(SplitFixtures.features(tmp.resolve("d"), 30, 20, 0));
        DataSplit split = DataSplit.plan(source, folds(10, 4, 1));
        Map<String, Integer> label = labels(source);

        List<String> tested = new ArrayList<>();
        for (DataSplit.Fold fold : split.folds()) {
            tested.addAll(fold.heldout());
            long pos = fold.heldout().stream().filter(id -> label.get(id) == 1).count();
            assertThat(pos).as("fold %d positives", fold.number()).isEqualTo(2);
            assertThat(fold.heldout()).hasSize(5);
            Set<String> training = new HashSet<>();
            fold.sites().forEach(training::addAll);
            assertThat(training).hasSize(45).doesNotContainAnyElementsOf(fold.heldout());
        }
        assertThat(tested).hasSize(50).doesNotHaveDuplicates()
                .containsExactlyInAnyOrderElementsOf(label.keySet());
        assertThat(split.folds()).extracting(DataSplit.Fold::number).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    }

    @Test
    void bagsOfOnePatientNeverSpanFoldsOrSites() throws IOException {
        SplitSource source = SplitSource.read(SplitFixtures.features(tmp.resolve("d"), 36, 30, 3));
        assertThat(source.hasPatients()).isTrue();
        Map<String, String> patientOf = new HashMap<>();
        source.bags().forEach(b -> patientOf.put(b.id(), b.patient()));
        DataSplit split = DataSplit.plan(source, folds(5, 3, 7));

        Map<String, Integer> testFoldOf = new HashMap<>();
        for (DataSplit.Fold fold : split.folds()) {
            for (String id : fold.heldout()) {
                Integer before = testFoldOf.put(patientOf.get(id), fold.number());
                assertThat(before).as("patient %s", patientOf.get(id)).isIn(null, fold.number());
            }
            Map<String, Integer> siteOf = new HashMap<>();
            for (int k = 0; k < fold.sites().size(); k++) {
                for (String id : fold.sites().get(k)) {
                    Integer before = siteOf.put(patientOf.get(id), k);
                    assertThat(before).as("patient %s in fold %d", patientOf.get(id), fold.number()).isIn(null, k);
                }
            }
            assertThat(siteOf.keySet()).doesNotContainAnyElementsOf(
                    fold.heldout().stream().map(patientOf::get).toList());
        }
        assertThat(testFoldOf).hasSize(22);
    }

    @Test
    void dirichletSitesAreNonEmptyDisjointAndCoverTheTrainingBags() throws IOException {
        SplitSource source = SplitSource.read(SplitFixtures.features(tmp.resolve("d"), 40, 40, 0));
        DataSplit split = DataSplit.plan(source, new DataSplit.Options(0, 4, 0.3, 0.25, 3));

        assertThat(split.folds()).hasSize(1);
        DataSplit.Fold only = split.folds().get(0);
        assertThat(only.number()).isZero();
        assertThat(only.heldout()).hasSize(20);
        Set<String> seen = new HashSet<>(only.heldout());
        for (List<String> site : only.sites()) {
            assertThat(site).hasSizeGreaterThanOrEqualTo(DirichletSplitter.MIN_BAGS_PER_SITE);
            for (String id : site) {
                assertThat(seen.add(id)).as("bag %s in two places", id).isTrue();
            }
        }
        assertThat(seen).hasSize(80);
    }

    @Test
    void theSameSeedGivesTheSameSplitAndAnotherSeedAnother() throws IOException {
        SplitSource source = SplitSource.read(SplitFixtures.features(tmp.resolve("d"), 30, 30, 0));
        assertThat(DataSplit.plan(source, folds(5, 3, 11))).isEqualTo(DataSplit.plan(source, folds(5, 3, 11)));
        assertThat(DataSplit.plan(source, folds(5, 3, 11)).folds())
                .isNotEqualTo(DataSplit.plan(source, folds(5, 3, 12)).folds());
    }

    @Test
    void tooFewBagsOfALabelForTheFoldsNamesTheLabelAndCount() throws IOException {
        SplitSource source = SplitSource.read(SplitFixtures.features(tmp.resolve("d"), 30, 4, 0));
        assertThatThrownBy(() -> DataSplit.plan(source, folds(5, 2, 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("label 1 has only 4 bags, fewer than the 5 folds")
                .hasMessageContaining("use --folds 4 or fewer");
    }

    @Test
    void tooFewTrainingBagsForTheSitesSaysWhatToChange() throws IOException {
        SplitSource source = SplitSource.read(SplitFixtures.features(tmp.resolve("d"), 4, 4, 0));
        assertThatThrownBy(() -> DataSplit.plan(source, folds(2, 3, 1)))
                .hasMessageContaining("fold 1: 4 bag(s) are left to train on, too few for 3 sites")
                .hasMessageContaining("use fewer --sites");
    }

    @Test
    void aFolderThatIsNotADataSetIsRefusedNamingWhatIsMissing() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> SplitSource.read(empty)).isInstanceOf(SourceDataException.class)
                .hasMessageContaining("bags.csv").hasMessageContaining("not found");
        Files.writeString(empty.resolve("bags.csv"), "bag_id,label\na,0\nb,1\n");
        assertThatThrownBy(() -> SplitSource.read(empty)).hasMessageContaining("neither a tiles/ folder");
        assertThatThrownBy(() -> SplitSource.read(tmp.resolve("missing"))).hasMessageContaining("not a folder");
        Path d = SplitFixtures.tiles(tmp.resolve("t"), 3, 3);
        Files.delete(d.resolve("tiles/img-003/00.png"));
        Files.delete(d.resolve("tiles/img-003/01.png"));
        assertThatThrownBy(() -> SplitSource.read(d)).hasMessageContaining("tiles/img-003")
                .hasMessageContaining("has no tiles");
    }

    @Test
    void anEmptyPatientIsRefusedNamingTheLine() throws IOException {
        Path d = SplitFixtures.features(tmp.resolve("d"), 4, 4, 2);
        String csv = Files.readString(d.resolve("bags.csv")).replace("bag-003,0,P1", "bag-003,0,");
        Files.writeString(d.resolve("bags.csv"), csv);
        assertThatThrownBy(() -> SplitSource.read(d)).hasMessageContaining("line 5: bag 'bag-003' has an empty "
                + "patient");
    }

    @Test
    void sizesAreTileCountsForTileFolders() throws IOException {
        SplitSource source = SplitSource.read(SplitFixtures.tiles(tmp.resolve("t"), 3, 3));
        assertThat(source.kind()).isEqualTo(SplitSource.Kind.TILES);
        assertThat(source.bags()).extracting(SourceBag::size).containsExactly(2L, 3L, 4L, 2L, 3L, 4L);
    }
}
