package org.fedmil.mil.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.LesionBags;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

/** FedProx's proximal term in the site's training loop: μ = 0 is the old training, μ &gt; 0 pulls toward w_global. */
class FedProxTest {

    private static final ModelSpec TINY = new ModelSpec(Architecture.ATTENTION, 8, 8, 4);
    private final List<Bag> bags = LesionBags.generate(30, 8, 3, 12, 5).bags();
    private final LocalTrainer trainer = new LocalTrainer();

    private TensorSet trainFromSeed7(TrainingOptions options) {
        try (MilModel model = MilModel.create(TINY, Engine.getInstance().defaultDevice(), 7)) {
            trainer.train(model, bags, options);
            return model.weights();
        }
    }

    private static TensorSet initial() {
        try (MilModel model = MilModel.create(TINY, Engine.getInstance().defaultDevice(), 7)) {
            return model.weights();
        }
    }

    private static double norm(TensorSet t) {
        double s = 0;
        for (NamedTensor n : t.tensors()) {
            for (float v : n.values()) {
                s += (double) v * v;
            }
        }
        return Math.sqrt(s);
    }

    @Test
    void muZeroTrainsBitForBitAsWithoutFedProx() {
        TrainingOptions old = new TrainingOptions(2, 1e-2, 1e-4, 3);
        TensorSet before = trainFromSeed7(old);
        TensorSet withZeroMu = trainFromSeed7(old.withProximalMu(0));
        assertThat(old.proximalMu()).isZero();
        // TensorSet equality compares every float exactly
        assertThat(withZeroMu).isEqualTo(before);
        assertThat(trainFromSeed7(old)).isEqualTo(before); // and training itself is deterministic here
    }

    @Test
    void aPositiveMuPullsTheLocalModelTowardTheGlobalOne() {
        TrainingOptions plain = new TrainingOptions(2, 1e-2, 0, 3);
        TensorSet w0 = initial();
        double free = norm(trainFromSeed7(plain).minus(w0));
        double small = norm(trainFromSeed7(plain.withProximalMu(0.01)).minus(w0));
        double strong = norm(trainFromSeed7(plain.withProximalMu(50)).minus(w0));
        assertThat(small).isNotEqualTo(free);
        assertThat(strong).isLessThan(free * 0.7);
    }

    @Test
    void aNegativeOrInfiniteMuIsRefused() {
        TrainingOptions o = new TrainingOptions(1, 1e-2, 0, 3);
        assertThatThrownBy(() -> o.withProximalMu(-0.1)).hasMessageContaining("proximal mu");
        assertThatThrownBy(() -> o.withProximalMu(Double.POSITIVE_INFINITY)).hasMessageContaining("proximal mu");
    }
}
