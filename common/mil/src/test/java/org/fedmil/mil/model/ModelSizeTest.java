package org.fedmil.mil.model;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import static org.assertj.core.api.Assertions.assertThat;

class ModelSizeTest {

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void theMlpFormulaCountsWhatTheEngineBuilds(Architecture architecture) {
        assertFormulaMatchesBuiltModel(new ModelSpec(architecture, 37, 11, 7));
    }

    @ParameterizedTest
    @EnumSource(Architecture.class)
    void theCnnFormulaCountsWhatTheEngineBuilds(Architecture architecture) {
        assertFormulaMatchesBuiltModel(ModelSpec.cnn(architecture, 3, 13, 9, 5));
        assertFormulaMatchesBuiltModel(ModelSpec.cnn(architecture, 1, 28, 16, 4));
    }

    private static void assertFormulaMatchesBuiltModel(ModelSpec spec) {
        try (MilModel model = MilModel.create(spec, Device.cpu(), 1)) {
            ModelSize size = ModelSize.of(spec);
            assertThat(size.parameters()).as(spec.toString()).isEqualTo(model.parameterCount());
            assertThat(size.tensors()).as(spec.toString()).isEqualTo(model.weightSpecs().size());
            assertThat(size.bytes()).isEqualTo(4 * model.parameterCount());
            assertThat(ModelSize.tensorsOf(spec)).as(spec.toString()).isEqualTo(model.weightSpecs());
        }
    }

    @Test
    void theIssuesTenMillionParameterWorkloadIsAnInputWidthAway() {
        int inputDim = ModelSize.mlpInputDimFor(10_020_021, Architecture.ATTENTION, 500, 128);
        ModelSize size = ModelSize.of(new ModelSpec(Architecture.ATTENTION, inputDim, 500, 128));
        assertThat(size.tensors()).isEqualTo(7);
        assertThat(size.parameters()).isLessThanOrEqualTo(10_020_021).isGreaterThan(10_020_021 - 500);
        assertThat(size.bytes()).isBetween(40_000_000L, 40_100_000L);
    }

    @Test
    void aTargetSmallerThanTheFixedPartsStillGivesAnInputWidthOfOne() {
        assertThat(ModelSize.mlpInputDimFor(10, Architecture.GATED_ATTENTION, 64, 32)).isEqualTo(1);
    }
}
