package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;

/** A federation that pins a pretrained encoder admits only sites whose features that encoder computed. */
class FeatureEncoderPinTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final String PINNED = "0a2b14b04b7786528f578a1c64284f671c0df6224fa623fac8182d75ba7e380d";
    private static final String OTHER = "3782e6db98eee6731802cd26ffe461d5326e3c7d59e46005e2c1e83c763da442";

    private static FederationRun run(String pinned) {
        FederationPlan plan = new FederationPlan("pinned", 2, 3, SPEC, new FederationPlan.TrainingPlan(1, 0.1, 0, 7,
                org.fedmil.mil.train.LossConfig.DEFAULT),
                false).withFeatureEncoder(pinned);
        TensorSet weights = new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1, -1})));
        return new FederationRun(plan, GlobalModel.of(0, SPEC, weights),
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.4f, 0.6f}), new FedAvg(), new RoundListener() { });
    }

    private static SiteJoin join(String encoder) {
        return new SiteJoin("test", "cpu()", Map.of(0, 5L, 1, 5L), "", encoder);
    }

    @Test
    void aSiteWhoseFeaturesCameFromAnotherEncoderIsRefusedWithBothHashes() throws Exception {
        try (FederationRun fed = run(PINNED)) {
            fed.start();
            assertThatThrownBy(() -> fed.join("b", join(OTHER))).isInstanceOfSatisfying(FederationException.class,
                    e -> assertThat(e.toStatus().getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION))
                    .hasMessageContaining(PINNED).hasMessageContaining(OTHER).hasMessageContaining("site 'b'")
                    .hasMessageContaining("fedmil data features --encoder");
            assertThatThrownBy(() -> fed.join("c", join(""))).hasMessageContaining("no recorded encoder");
            assertThat(fed.join("a", join(PINNED.toUpperCase()))).isEqualTo("pinned");
        }
    }

    @Test
    void aFederationThatPinsNoEncoderAdmitsFeaturesOfAnyOrigin() throws Exception {
        try (FederationRun fed = run("")) {
            fed.start();
            assertThat(fed.join("a", join(OTHER))).isEqualTo("pinned");
            assertThat(fed.join("b", join(""))).isEqualTo("pinned");
        }
    }
}
