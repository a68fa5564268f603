package org.fedmil.mil.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.ContrastiveViews;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.EncoderPart;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

class ContrastiveTrainerTest {

    private static final TileFormat GREY8 = new TileFormat(1, 8);
    private static final ModelSpec SPEC = ModelSpec.cnn(Architecture.ATTENTION, 1, 8, 16, 8);

    /** Bags of random grey 8×8 tiles, with {@code sizes[i]} tiles in bag i; half of them light, half dark. */
    private static List<Bag> bags(int... sizes) {
        Random rng = new Random(4);
        List<Bag> out = new ArrayList<>();
        for (int b = 0; b < sizes.length; b++) {
            float[] x = new float[sizes[b] * 64];
            for (int t = 0; t < sizes[b]; t++) {
                float base = t % 2 == 0 ? 0.7f : 0.1f;
                for (int i = 0; i < 64; i++) {
                    x[t * 64 + i] = base + 0.2f * rng.nextFloat();
                }
            }
            out.add(new Bag("bag-" + b, b % 2, sizes[b], 64, x));
        }
        return out;
    }

    private static PretrainingOptions options(int epochs, int batch, int maxTiles) {
        return new PretrainingOptions(epochs, 1e-3, 0, batch, 0.5, 8, 0.2, 1, maxTiles, 7);
    }

    @Test
    void changesTheEncoderOnlyAndLeavesPoolingAndClassifierAsTheyWere() {
        try (MilModel model = MilModel.create(SPEC, Device.cpu(), 3)) {
            TensorSet before = model.weights();

            PretrainingResult r = new ContrastiveTrainer().train(model, bags(7, 9, 4, 12), new ContrastiveViews(
                    GREY8, 0.2, 1), options(2, 8, 0));

            TensorSet after = model.weights();
            for (NamedTensor t : before.tensors()) {
                float[] now = after.get(t.name()).values();
                if (EncoderPart.isEncoder(t.name())) {
                    assertThat(now).as(t.name() + " is trained").isNotEqualTo(t.values());
                } else {
                    assertThat(now).as(t.name() + " is untouched").containsExactly(t.values());
                }
            }
            assertThat(r.bags()).isEqualTo(4);
            // 32 tiles a epoch in batches of 8 across the bags: 4 steps an epoch
            assertThat(r.tiles()).isEqualTo(32);
            assertThat(r.steps()).isEqualTo(8);
            assertThat(r.meanLoss()).isFinite().isPositive();
        }
    }

    @Test
    void aBatchMixesTilesOfSeveralBagsAndMaxTilesBoundsAnEpoch() {
        try (MilModel model = MilModel.create(SPEC, Device.cpu(), 3)) {
            // bags of 3 tiles, batches of 10: a batch can only fill up from several bags
            PretrainingResult r = new ContrastiveTrainer().train(model, bags(3, 3, 3, 3, 3, 3, 3, 3),
                    new ContrastiveViews(GREY8, 0, 0), options(1, 10, 20));

            assertThat(r.tiles()).isEqualTo(20);
            assertThat(r.steps()).isEqualTo(2);
        }
    }

    @Test
    void refusesAFeatureModelAndTilesTooFewForANegative() {
        try (MilModel mlp = MilModel.create(new ModelSpec(Architecture.ATTENTION, 64, 16, 8), Device.cpu(), 1)) {
            assertThatThrownBy(() -> new ContrastiveTrainer().train(mlp, bags(4), new ContrastiveViews(GREY8, 0, 0),
                    options(1, 4, 0))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("reads feature vectors");
        }
        try (MilModel model = MilModel.create(SPEC, Device.cpu(), 3)) {
            TensorSet before = model.weights();
            assertThatThrownBy(() -> new ContrastiveTrainer().train(model, bags(1), new ContrastiveViews(GREY8, 0, 0),
                    options(1, 4, 0))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("fewer than 2 tiles");
            assertThat(model.weights()).as("weights put back").isEqualTo(before);
        }
    }
}
