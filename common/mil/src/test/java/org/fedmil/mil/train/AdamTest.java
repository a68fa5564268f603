package org.fedmil.mil.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AdamTest {

    @Test
    void theMomentsBelongToTheGivenManagerAndDieWithIt() {
        try (MilModel model = MilModel.create(new ModelSpec(Architecture.ATTENTION, 4, 8, 3), 1)) {
            Map<String, NDArray> weights = model.parameterArrays();
            NDManager owner = model.manager().newSubManager();

            new Adam(weights, 0, owner);

            assertThat(owner.getManagedArrays()).hasSize(2 * weights.size());
            owner.close();
            assertThat(model.manager().getManagedArrays()).containsExactlyInAnyOrderElementsOf(weights.values());
        }
    }
}
