package org.fedmil.mil.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class InitialWeightsTest {

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void plainJavaStartingWeightsAreBitIdenticalToTheEnginesForEveryFamily(Architecture architecture) {
        for (ModelSpec spec : new ModelSpec[] {new ModelSpec(architecture, 23, 9, 5),
                ModelSpec.cnn(architecture, 3, 12, 6, 4)}) {
            TensorSet plain = InitialWeights.of(spec, 42);
            try (MilModel model = MilModel.create(spec, Device.cpu(), 42)) {
                TensorSet engine = model.weights();
                assertThat(plain.specs()).isEqualTo(engine.specs());
                for (NamedTensor t : engine.tensors()) {
                    assertThat(plain.get(t.name()).values()).as(spec + " " + t.name()).isEqualTo(t.values());
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void anotherSeedGivesOtherWeights(Architecture architecture) {
        ModelSpec spec = new ModelSpec(architecture, 23, 9, 5);
        assertThat(InitialWeights.of(spec, 1).get("encoder.0.weight").values())
                .isNotEqualTo(InitialWeights.of(spec, 2).get("encoder.0.weight").values());
    }
}
