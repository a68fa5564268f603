package org.fedmil.coordinator.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.encoder.EncoderFineTuning;
import org.fedmil.mil.encoder.TileNormalisation;
import org.fedmil.mil.encoder.TrainableTorchScript;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

/**
 * A fine-tuned encoder block travels with the MIL head: two sites train head + block from the same global model,
 * send their deltas in the wire form, FedAvg folds them, and a third party loads the next global model.
 */
class FineTunedEncoderAggregationTest {

    private static final Path ENCODER = Path.of("../common/mil/src/test/resources/encoders/two-block-encoder.pt");
    private static final TileFormat TILES = new TileFormat(3, 16);
    private static final ModelSpec HEAD = new ModelSpec(Architecture.ATTENTION, 8, 16, 8);
    private static final String BLOCK = "encoder.backbone.block.0.weight";

    private static MilModel model() {
        return MilModel.createFineTuning(HEAD, TrainableTorchScript.load(ENCODER, Device.cpu(), TILES,
                TileNormalisation.IMAGENET, EncoderFineTuning.parse("last_block", null)), 42);
    }

    private static List<Bag> bags(int count, long seed) {
        Random rng = new Random(seed);
        List<Bag> out = new ArrayList<>();
        for (int b = 0; b < count; b++) {
            int n = 2 + rng.nextInt(3);
            float[] x = new float[n * TILES.dim()];
            for (int i = 0; i < x.length; i++) {
                x[i] = rng.nextFloat();
            }
            out.add(new Bag("b" + b, b % 2, n, TILES.dim(), x));
        }
        return out;
    }

    @Test
    void theBlocksDeltasAreAveragedLikeTheHeadsAndTheNextGlobalModelLoadsAtEverySite() {
        TensorSet global;
        try (MilModel coordinator = model()) {
            global = coordinator.weights();
        }
        assertThat(global.specs().stream().map(s -> s.name())).contains(BLOCK, "encoder.0.weight",
                "classifier.weight");
        int[] trainingBags = {4, 6};
        List<TensorSet> deltas = new ArrayList<>();
        FedAvg fedAvg = new FedAvg();
        fedAvg.beginRound(global.specs());
        for (int site = 0; site < 2; site++) {
            try (MilModel m = model()) {
                m.setWeights(global);
                new LocalTrainer().train(m, bags(trainingBags[site], site), new TrainingOptions(1, 1e-2, 0, site));
                TensorSet delta = m.weights().minus(global);
                deltas.add(delta);
                fedAvg.acceptWire(global.specs(), TensorCodec.encode(delta), trainingBags[site]);
            }
        }
        TensorSet next = fedAvg.finish(global);

        for (NamedTensor t : global.tensors()) {
            float[] g = t.values();
            float[] a = deltas.get(0).get(t.name()).values();
            float[] b = deltas.get(1).get(t.name()).values();
            float[] expected = new float[g.length];
            for (int i = 0; i < g.length; i++) {
                expected[i] = (float) (g[i] + (4.0 * a[i] + 6.0 * b[i]) / 10.0);
            }
            assertThat(next.get(t.name()).values()).as(t.name()).containsExactly(expected, within(1e-6f));
        }
        assertThat(next.get(BLOCK).values()).isNotEqualTo(global.get(BLOCK).values());
        try (MilModel site = model()) {
            site.setWeights(next);
            assertThat(site.weights()).isEqualTo(next);
            assertThat(site.parameterArrays().get(BLOCK).toFloatArray()).containsExactly(next.get(BLOCK).values());
        }
    }
}
