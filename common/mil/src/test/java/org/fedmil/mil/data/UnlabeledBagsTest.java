package org.fedmil.mil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A bags.csv row with an empty label is an unlabeled bag: kept apart, never a class, never trained on. */
class UnlabeledBagsTest {

    @TempDir
    Path dir;

    private void csv(String text) throws IOException {
        Files.writeString(dir.resolve("bags.csv"), text, StandardCharsets.UTF_8);
    }

    private void npy(String id, int rows, int cols, float first) throws IOException {
        float[] x = new float[rows * cols];
        x[0] = first;
        Npy.write(dir.resolve("bags").resolve(id + ".npy"), new Npy.Matrix(rows, cols, x));
    }

    @Test
    void emptyLabelsAreUnlabeledBagsKeptOutOfTheLabelledBagsAndTheCounts() throws IOException {
        csv("bag_id,label\na,0\nu1,\nb,1\n\"u2\",\"\"\nc,1\n");
        for (String id : List.of("a", "u1", "b", "u2", "c")) {
            npy(id, 2, 3, id.hashCode());
        }
        BagDataset data = BagDataset.load(dir);

        assertThat(data.bags()).extracting(Bag::id).containsExactly("a", "b", "c");
        assertThat(data.bags()).allMatch(Bag::labelled);
        assertThat(data.size()).isEqualTo(3);
        assertThat(data.labelCounts()).isEqualTo(new LabelCounts(1, 2));
        assertThat(data.unlabeled()).extracting(Bag::id).containsExactly("u1", "u2");
        assertThat(data.unlabeled()).allSatisfy(b -> {
            assertThat(b.labelled()).isFalse();
            assertThat(b.label()).isEqualTo(Bag.UNLABELED);
        });
        assertThat(data.unlabeled().get(1).features()[0]).isEqualTo((float) "u2".hashCode());
        assertThat(data.toString()).contains("2 more unlabeled");
        // the index readers: readIndex is the labelled rows (the order of bags()), readRows every row
        assertThat(BagDataset.readIndex(dir)).extracting(BagEntry::id).containsExactly("a", "b", "c");
        assertThat(BagDataset.readRows(dir)).extracting(BagEntry::id).containsExactly("a", "u1", "b", "u2", "c");
    }

    @Test
    void unlabeledBagsAreStillCheckedLikeEveryOther() throws IOException {
        csv("bag_id,label\na,0\nu1,\n");
        npy("a", 2, 3, 1);
        npy("u1", 2, 4, 1);
        assertThatThrownBy(() -> BagDataset.load(dir)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll("bag 'u1'", "line 3", "4 features per instance");
    }

    @Test
    void aSiteWithNoLabelledBagIsRefusedSayingWhatToDo() throws IOException {
        csv("bag_id,label\nu1,\nu2,\n");
        assertThatThrownBy(() -> BagDataset.readRows(dir)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll("bags.csv", "2 bag(s), none of them labelled", "fedmil site suggest");
    }

    @Test
    void aBlankLabelIsNotAClassAndOtherLabelsAreStillRefused() throws IOException {
        csv("bag_id,label\na,0\nb,  \nc,2\n");
        assertThatThrownBy(() -> BagDataset.readRows(dir)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll("line 4", "label of bag 'c' must be 0 or 1, or empty", "'2'");
    }

    @Test
    void tileSitesKeepUnlabeledBagsApartToo() throws IOException {
        csv("bag_id,label\nt1,1\nt2,\n");
        for (String bag : List.of("t1", "t2")) {
            Path f = dir.resolve("tiles").resolve(bag).resolve("0.png");
            Files.createDirectories(f.getParent());
            BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
            assertThat(ImageIO.write(img, "png", f.toFile())).isTrue();
        }
        BagDataset data = BagDataset.load(dir, new TileFormat(1, 4));
        assertThat(data.bags()).extracting(Bag::id).containsExactly("t1");
        assertThat(data.labelCounts()).isEqualTo(new LabelCounts(0, 1));
        assertThat(data.unlabeled()).extracting(Bag::id).containsExactly("t2");
        assertThat(data.unlabeled().get(0).label()).isEqualTo(Bag.UNLABELED);
        assertThat(data.tileFiles("t2")).hasSize(1);
        // and the model spec's opener sees the same split
        BagDataset viaSpec = ModelSpec.cnn(Architecture.ATTENTION, 1, 4, 4, 2).open(dir);
        assertThat(viaSpec.unlabeled()).hasSize(1);
    }

    @Test
    void inMemoryDatasetsRefuseUnlabeledBagsAndPseudoLabelsAreOrdinaryLabels() {
        Bag unlabeled = new Bag("u", Bag.UNLABELED, 1, 2, new float[2]);
        assertThatThrownBy(() -> BagDataset.of("x", List.of(new Bag("a", 0, 1, 2, new float[2]), unlabeled)))
                .isInstanceOf(BagDataException.class).hasMessageContaining("bag 'u' is unlabeled");
        Bag pseudo = unlabeled.withLabel(1);
        assertThat(pseudo.labelled()).isTrue();
        assertThat(pseudo.features()).isSameAs(unlabeled.features());
        assertThatThrownBy(() -> unlabeled.withLabel(2)).isInstanceOf(IllegalArgumentException.class);
    }
}
