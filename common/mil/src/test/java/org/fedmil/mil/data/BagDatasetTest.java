package org.fedmil.mil.data;

import org.fedmil.util.AtomicFiles;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class BagDatasetTest {

    @TempDir
    Path dir;

    private static Bag bag(String id, int label, int instances, int dim) {
        float[] x = new float[instances * dim];
        for (int i = 0; i < x.length; i++) {
            x[i] = id.hashCode() % 7 + i * 0.25f;
        }
        return new Bag(id, label, instances, dim, x);
    }

    private void csv(String text) throws IOException {
        Files.writeString(dir.resolve("bags.csv"), text, StandardCharsets.UTF_8);
    }

    private Path npy(String id, int rows, int cols, float... values) throws IOException {
        float[] data = values.length > 0 ? values : new float[rows * cols];
        Path f = dir.resolve("bags").resolve(id + ".npy");
        Npy.write(f, new Npy.Matrix(rows, cols, data));
        return f;
    }

    private void assertLoadFails(String... messageParts) {
        assertThatThrownBy(() -> BagDataset.load(dir)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll(messageParts);
    }

    @Test
    void loadsWhatTheWriterWrote() throws IOException {
        List<Bag> bags = List.of(bag("a", 0, 3, 4), bag("b-2", 1, 1, 4), bag("c_3.x", 1, 7, 4));
        BagDatasetWriter.write(dir, BagDataset.of("test", bags));

        BagDataset loaded = BagDataset.load(dir);

        assertThat(loaded.size()).isEqualTo(3);
        assertThat(loaded.dim()).isEqualTo(4);
        assertThat(loaded.labelCounts()).isEqualTo(new LabelCounts(1, 2));
        for (int i = 0; i < bags.size(); i++) {
            Bag want = bags.get(i);
            Bag got = loaded.bags().get(i);
            assertThat(got.id()).isEqualTo(want.id());
            assertThat(got.label()).isEqualTo(want.label());
            assertThat(got.instances()).isEqualTo(want.instances());
            assertThat(got.features()).containsExactly(want.features());
        }
        assertThat(Files.readString(dir.resolve("bags.csv"))).isEqualTo("bag_id,label\na,0\nb-2,1\nc_3.x,1\n");
    }

    @Test
    void writerLeavesNoTemporaryFiles() throws IOException {
        BagDatasetWriter.write(dir, BagDataset.of("t", List.of(bag("a", 0, 2, 2))));
        BagDatasetWriter.write(dir, BagDataset.of("t", List.of(bag("a", 1, 3, 2))));

        try (Stream<Path> files = Files.walk(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }
        assertThat(BagDataset.load(dir).bags().get(0).instances()).isEqualTo(3);
    }

    @Test
    void interruptedAtomicWriteKeepsThePreviousFile() throws IOException {
        Path target = dir.resolve("bags.csv");
        AtomicFiles.write(target, out -> out.write("bag_id,label\na,0\n".getBytes(StandardCharsets.UTF_8)));

        assertThatThrownBy(() -> AtomicFiles.write(target, out -> {
            out.write("bag_id,label\nhalf".getBytes(StandardCharsets.UTF_8));
            throw new IOException("disk full");
        })).hasMessage("disk full");

        assertThat(Files.readString(target)).isEqualTo("bag_id,label\na,0\n");
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files).containsExactly(target);
        }
    }

    @Test
    void acceptsSpreadsheetQuirks() throws IOException {
        csv("\uFEFFbag_id , label\r\n\"a\",0\r\n\r\nb , 1\r\n");
        npy("a", 2, 3);
        npy("b", 1, 3);

        BagDataset d = BagDataset.load(dir);

        assertThat(d.bags()).extracting(Bag::id).containsExactly("a", "b");
        assertThat(d.labelCounts().positiveRate()).isEqualTo(0.5);
    }

    @Test
    void missingIndexSaysWhatASiteFolderNeeds() {
        assertLoadFails(dir.resolve("bags.csv").toString(), "not found", "bag_id,label", "bags/");
    }

    @Test
    void wrongHeaderIsReported() throws IOException {
        csv("id,y\na,0\n");
        assertLoadFails("bags.csv", "line 1", "header must be 'bag_id,label'", "'id,y'");
    }

    @Test
    void anOptionalPatientColumnIsAcceptedAndIgnoredByTheLoader() throws IOException {
        csv("bag_id,label,patient\na,0,P1\nb,1,P1\n");
        npy("a", 2, 3);
        npy("b", 1, 3);

        BagDataset d = BagDataset.load(dir);

        assertThat(d.bags()).extracting(Bag::id).containsExactly("a", "b");
        assertThat(d.labelCounts().positives()).isEqualTo(1);
    }

    @Test
    void aRowWithoutItsPatientSaysHowManyFieldsThePatientHeaderNeeds() throws IOException {
        csv("bag_id,label,patient\na,0,P1\nb,1\n");
        assertLoadFails("bags.csv", "line 3", "expected 3 comma-separated fields (bag_id,label,patient), got 2");
    }

    @Test
    void anotherThirdColumnIsStillAWrongHeader() throws IOException {
        csv("bag_id,label,site\na,0,x\n");
        assertLoadFails("line 1", "header must be 'bag_id,label'", "'bag_id,label,site'");
    }

    @Test
    void missingHeaderIsRecognised() throws IOException {
        csv("a,0\nb,1\n");
        assertLoadFails("line 1", "looks like a data row");
    }

    @Test
    void duplicateBagIdNamesBothLines() throws IOException {
        csv("bag_id,label\na,0\nb,1\na,1\n");
        assertLoadFails("bags.csv", "line 4", "'a'", "already listed on line 2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"2", "-1", "yes", "1.0"}) // an empty label is an unlabeled bag: UnlabeledBagsTest
    void labelOtherThanZeroOrOneNamesTheLine(String label) throws IOException {
        csv("bag_id,label\na,0\nb," + label + "\n");
        assertLoadFails("bags.csv", "line 3", "label of bag 'b' must be 0 or 1", "'" + label + "'");
    }

    @Test
    void wrongFieldCountNamesTheLine() throws IOException {
        csv("bag_id,label\na,0,extra\n");
        assertLoadFails("line 2", "expected 2 comma-separated fields");
    }

    @ParameterizedTest
    @ValueSource(strings = {"../etc", "a/b", "..", "a\\b", "sub/../x"})
    void pathTraversalInBagIdsIsRefused(String id) throws IOException {
        csv("bag_id,label\n" + id + ",1\n");
        assertLoadFails("line 2", "path traversal is refused");
    }

    @ParameterizedTest
    @ValueSource(strings = {"has space", ".hidden", "ümlaut"})
    void unsafeBagIdsAreRefused(String id) throws IOException {
        csv("bag_id,label\n" + id + ",1\n");
        assertLoadFails("line 2", "'" + id + "'");
    }

    @Test
    void missingFeatureFileNamesTheBagAndThePath() throws IOException {
        csv("bag_id,label\na,0\nb,1\n");
        npy("a", 2, 3);
        assertLoadFails("bag 'b'", "bags.csv line 3", dir.resolve("bags").resolve("b.npy").toString(),
                "no feature file");
    }

    @Test
    void bagWithoutInstancesIsRefused() throws IOException {
        csv("bag_id,label\na,0\nempty,1\n");
        npy("a", 2, 3);
        npy("empty", 0, 3);
        assertLoadFails("bag 'empty'", "line 3", "0 instances");
    }

    @Test
    void inconsistentFeatureDimsNameBothBags() throws IOException {
        csv("bag_id,label\na,0\nb,1\n");
        npy("a", 2, 3);
        npy("b", 2, 5);
        assertLoadFails("bag 'b'", "line 3", "5 features", "bag 'a' (line 2) has 3");
    }

    @Test
    void nonFiniteFeaturesNameTheBagAndPosition() throws IOException {
        csv("bag_id,label\na,0\nb,1\n");
        npy("a", 1, 2, 0f, 1f);
        Path b = npy("b", 2, 2, 0f, 1f, 2f, Float.NaN);
        assertLoadFails("bag 'b'", b.toString(), "instance 1, feature 1 is NaN", "finite");

        npy("b", 2, 2, Float.NEGATIVE_INFINITY, 1f, 2f, Float.POSITIVE_INFINITY);
        assertLoadFails("bag 'b'", "instance 0, feature 0 is -Infinity", "1 more");
    }

    @Test
    void malformedFeatureFileNamesTheBag() throws IOException {
        csv("bag_id,label\na,0\n");
        Files.createDirectories(dir.resolve("bags"));
        Files.writeString(dir.resolve("bags/a.npy"), "not numpy");
        assertLoadFails("bag 'a' (bags.csv line 2)", "not a .npy file");
    }

    @Test
    void emptyDatasetIsRefused() throws IOException {
        csv("bag_id,label\n\n");
        assertLoadFails("bags.csv", "lists no bags");
        csv("");
        assertLoadFails("bags.csv", "is empty");
    }

    @Test
    void unlistedFeatureFilesAreIgnored() throws IOException {
        csv("bag_id,label\na,1\n");
        npy("a", 2, 3);
        npy("forgotten", 2, 3);

        assertThat(BagDataset.load(dir).bags()).extracting(Bag::id).containsExactly("a");
    }

    @Test
    void inMemoryDatasetsFollowTheSameRules() {
        assertThatThrownBy(() -> BagDataset.of("x", List.of())).hasMessageContaining("no bags");
        assertThatThrownBy(() -> BagDataset.of("x", List.of(bag("a", 0, 1, 2), bag("a", 1, 1, 2))))
                .hasMessageContaining("bag id 'a' is used by bags #0 and #1");
        assertThatThrownBy(() -> BagDataset.of("x", List.of(bag("a", 0, 1, 2), bag("b", 1, 1, 3))))
                .hasMessageContaining("bag 'b' has 3 features per instance but bag 'a' has 2");
        assertThatThrownBy(() -> BagDataset.of("x", List.of(bag("../a", 0, 1, 2))))
                .hasMessageContaining("path traversal");
    }
}
