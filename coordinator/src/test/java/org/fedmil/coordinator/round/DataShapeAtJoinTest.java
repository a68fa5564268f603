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

/**
 * A site whose bags the federation's model cannot read is refused at join with both values named, instead of
 * being admitted and failing its first task; a check-only join answers the same and changes nothing.
 */
class DataShapeAtJoinTest {

    private static final ModelSpec FEATURES_32 = new ModelSpec(Architecture.ATTENTION, 32, 4, 4);
    private static final ModelSpec CNN = ModelSpec.cnn(Architecture.ATTENTION, 3, 8, 4, 4);

    private static FederationRun run(ModelSpec spec) {
        FederationPlan plan = new FederationPlan("shapes", 2, 3, spec, new FederationPlan.TrainingPlan(1, 0.1, 0, 7,
                org.fedmil.mil.train.LossConfig.DEFAULT), false);
        TensorSet weights = new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1, -1})));
        return new FederationRun(plan, GlobalModel.of(0, spec, weights),
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.4f, 0.6f}), new FedAvg(), new RoundListener() { });
    }

    private static SiteJoin join(DataShape shape, boolean checkOnly) {
        return new SiteJoin("test", "cpu()", Map.of(0, 5L, 1, 5L), "", "", shape, checkOnly);
    }

    @Test
    void aSiteWithAnotherFeatureWidthIsRefusedNamingBothWidths() throws Exception {
        try (FederationRun fed = run(FEATURES_32)) {
            fed.start();
            assertThatThrownBy(() -> fed.join("narrow", join(DataShape.ofFeatures(16), false)))
                    .isInstanceOfSatisfying(FederationException.class, e -> assertThat(
                            e.toStatus().getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION))
                    .hasMessageContaining("site 'narrow' was not admitted")
                    .hasMessageContaining("expects 32 features per instance, but the site's bags have 16");
            assertThat(fed.isJoined("narrow")).isFalse();
            assertThat(fed.join("fits", join(DataShape.ofFeatures(32), false))).isEqualTo("shapes");
        }
    }

    @Test
    void tilesForAFeatureModelAndFeaturesForATileModelAreRefused() throws Exception {
        try (FederationRun fed = run(FEATURES_32)) {
            fed.start();
            assertThatThrownBy(() -> fed.join("tiles", join(DataShape.ofTiles(), false)))
                    .hasMessageContaining("feature vectors of 32 features").hasMessageContaining("image tiles");
        }
        try (FederationRun fed = run(CNN)) {
            fed.start();
            assertThatThrownBy(() -> fed.join("features", join(DataShape.ofFeatures(32), false)))
                    .hasMessageContaining("reads image tiles (encoder cnn, 3 channel(s), 8 px)")
                    .hasMessageContaining("feature bags of 32 features");
            // tiles of any size fit: the site resizes them to the model's
            assertThat(fed.join("tiles", join(DataShape.ofTiles(), false))).isEqualTo("shapes");
        }
    }

    @Test
    void aCheckOnlyJoinIsAnsweredAsAJoinButTheSiteDoesNotCountAsJoined() throws Exception {
        try (FederationRun fed = run(FEATURES_32)) {
            fed.start();
            assertThatThrownBy(() -> fed.join("narrow", join(DataShape.ofFeatures(16), true)))
                    .hasMessageContaining("but the site's bags have 16");
            assertThat(fed.join("fits", join(DataShape.ofFeatures(32), true))).isEqualTo("shapes");
            assertThat(fed.isJoined("fits")).isFalse();
            assertThat(fed.joinedSites()).isEmpty();
        }
    }

    @Test
    void aJoinThatDoesNotSayItsShapeIsNotChecked() throws Exception {
        try (FederationRun fed = run(FEATURES_32)) {
            fed.start();
            assertThat(fed.join("older-agent", join(null, false))).isEqualTo("shapes");
        }
    }
}
