package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalisationTest {

    /** Attention = softmax(tanh(feature 0)): the instance with the larger first feature gets more weight. */
    private static MilModel attendingToFeatureZero(Architecture architecture) {
        MilModel model = MilModel.create(new ModelSpec(architecture, 2, 2, 1), 1);
        List<NamedTensor> t = new ArrayList<>();
        t.add(new NamedTensor("encoder.0.weight", new long[] {2, 2}, new float[] {1, 0, 0, 1}));
        t.add(new NamedTensor("encoder.0.bias", new long[] {2}, new float[2]));
        if (architecture == Architecture.ATTENTION) {
            t.add(new NamedTensor("attention.V.weight", new long[] {1, 2}, new float[] {1, 0}));
            t.add(new NamedTensor("attention.V.bias", new long[] {1}, new float[1]));
            t.add(new NamedTensor("attention.w.weight", new long[] {1, 1}, new float[] {3}));
        }
        t.add(new NamedTensor("classifier.weight", new long[] {1, 2}, new float[] {1, 1}));
        t.add(new NamedTensor("classifier.bias", new long[] {1}, new float[1]));
        model.setWeights(new TensorSet(t));
        return model;
    }

    private static final List<Bag> BAGS = List.of(
            // positive: key instances 1 and 3 have the larger feature 0
            new Bag("p", 1, 4, 2, new float[] {0.1f, 0, 0.9f, 0, 0.2f, 0, 0.8f, 0}),
            // positive, but attention ranks the key instance (0) last
            new Bag("q", 1, 2, 2, new float[] {0.1f, 0, 0.7f, 0}),
            // negative bags are not scored
            new Bag("n", 0, 2, 2, new float[] {0.5f, 0, 0.1f, 0}));

    @Test
    void localisationIsTheMeanPerBagAucOfAttentionAgainstInstanceLabels() {
        Map<String, int[]> labels = Map.of("p", new int[] {0, 1, 0, 1}, "q", new int[] {1, 0}, "n", new int[] {0, 0});
        try (MilModel model = attendingToFeatureZero(Architecture.ATTENTION)) {
            // bag p: AUC 1.0; bag q: AUC 0.0; mean 0.5
            assertThat(LocalisationAuc.of(model, BAGS, labels)).isCloseTo(0.5, within(1e-9));
            assertThat(LocalisationAuc.of(model, BAGS, Map.of("p", labels.get("p")))).isCloseTo(1.0, within(1e-9));
        }
    }

    @Test
    void meanPoolingAttendsToNothingInParticular() {
        Map<String, int[]> labels = Map.of("p", new int[] {0, 1, 0, 1});
        try (MilModel model = attendingToFeatureZero(Architecture.MEAN)) {
            assertThat(LocalisationAuc.of(model, BAGS, labels)).isCloseTo(0.5, within(1e-9));
        }
    }

    @Test
    void labelsThatDoNotMatchTheBagAreRefused() {
        try (MilModel model = attendingToFeatureZero(Architecture.ATTENTION)) {
            assertThatThrownBy(() -> LocalisationAuc.of(model, BAGS, Map.of("p", new int[] {1, 0})))
                    .hasMessageContaining("'p' has 4 instances but 2 instance labels");
        }
    }

    @Test
    void instanceLabelsAreAlignedWithTheBagsTileOrder(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("bags.csv"), "bag_id,label\nb1,1\n");
        Path tiles = Files.createDirectories(dir.resolve("tiles/b1"));
        for (String name : List.of("02.png", "00.png", "01.png")) {
            ImageIO.write(new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY), "png", tiles.resolve(name).toFile());
        }
        // listed out of order: the reader must follow the tile order (file name order), not the CSV's
        Files.writeString(dir.resolve(InstanceLabels.FILE), "bag_id,tile,label\nb1,01.png,1\nb1,02.png,0\nb1,00.png,0\n");
        BagDataset heldout = BagDataset.load(dir, new TileFormat(1, 4));

        assertThat(InstanceLabels.read(heldout, dir)).containsOnlyKeys("b1");
        assertThat(InstanceLabels.read(heldout, dir).get("b1")).containsExactly(0, 1, 0);

        Files.writeString(dir.resolve(InstanceLabels.FILE), "bag_id,tile,label\nb1,01.png,2\n");
        assertThatThrownBy(() -> InstanceLabels.read(heldout, dir)).hasMessageContaining("line 2");
    }
}
