package org.fedmil.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import org.fedmil.mil.train.StepRates;
import org.fedmil.proto.v1.TrainingConfig;
import org.junit.jupiter.api.Test;

/** What a site makes of TrainingConfig fields 11–17, including a task from a coordinator that sends none of them. */
class TrainingToolboxWireTest {

    @Test
    void aTaskWithoutTheNewFieldsTrainsAsBeforeAdamConstantRateHardLabels() throws Exception {
        // bytes as an older coordinator sends them: learning rate and loss only
        TrainingConfig old = TrainingConfig.parseFrom(TrainingConfig.newBuilder().setLearningRate(0.002)
                .setLoss("cross_entropy").setClassWeights("balanced").build().toByteArray());
        assertThat(Wire.optimizerOf(old)).isEqualTo(OptimizerConfig.ADAM);
        // the bag loss a site builds is the default's (focal_gamma, unused by cross-entropy, arrives as 0)
        org.fedmil.mil.data.LabelCounts counts = new org.fedmil.mil.data.LabelCounts(30, 10);
        assertThat(Wire.lossOf(old).forSite(counts)).isEqualTo(LossConfig.DEFAULT.forSite(counts));
        assertThat(old.getBagsPerStep()).isZero();
        StepRates rates = Wire.stepRatesOf(old);
        assertThat(rates.rate(0, 10)).isEqualTo(0.002);
        assertThat(rates.rate(9, 10)).isEqualTo(0.002);
    }

    @Test
    void theFederationsLabelCountsReachTheSiteAndAnOlderCoordinatorsTaskBalancesByTheSitesOwn() throws Exception {
        org.fedmil.mil.data.LabelCounts site = new org.fedmil.mil.data.LabelCounts(25, 3);
        LossConfig federation = new LossConfig(LossConfig.Kind.CROSS_ENTROPY, 2, LossConfig.ClassWeighting.FEDERATION);
        TrainingConfig sent = TrainingConfig.parseFrom(Wire.toProto(federation, TrainingConfig.newBuilder()
                .setFederationNegativeBags(60).setFederationPositiveBags(40)).toByteArray());
        assertThat(Wire.federationLabelsOf(sent)).isEqualTo(new org.fedmil.mil.data.LabelCounts(60, 40));
        assertThat(Wire.lossOf(sent).forSite(site, Wire.federationLabelsOf(sent)).positiveWeight())
                .isCloseTo(100.0 / 80, within(1e-12));
        TrainingConfig old = TrainingConfig.parseFrom(Wire.toProto(federation, TrainingConfig.newBuilder())
                .toByteArray());
        assertThat(Wire.lossOf(old).forSite(site, Wire.federationLabelsOf(old)))
                .isEqualTo(LossConfig.DEFAULT.forSite(site));
    }

    @Test
    void optimiserAndLossSurviveTheWire() throws Exception {
        OptimizerConfig sgd = new OptimizerConfig(OptimizerConfig.Kind.SGD, 0.9, true);
        LossConfig gce = new LossConfig(LossConfig.Kind.GCE, 2, LossConfig.ClassWeighting.NONE, 0.6, 0.1);
        TrainingConfig sent = TrainingConfig.parseFrom(Wire.toProto(gce, Wire.toProto(sgd, TrainingConfig.newBuilder()))
                .toByteArray());
        assertThat(Wire.optimizerOf(sent)).isEqualTo(sgd);
        assertThat(Wire.lossOf(sent)).isEqualTo(gce);
    }

    @Test
    void aCosineTaskGivesTheSiteTheRatesOfItsRoundsPositionInTheFederation() {
        LearningRateSchedule cosine = LearningRateSchedule.cosine(1, 0);
        TrainingConfig round3 = TrainingConfig.newBuilder().setLearningRate(0.1)
                .setSchedule(Wire.toProto(cosine, 3, 4, 0.1)).build();
        StepRates rates = Wire.stepRatesOf(round3);
        // round 3 of 4, one warm-up round: positions 2 and 2.5 → 0.05 (1 + cos(π/3)) = 0.075, 0.05 (1 + cos(π/2))
        assertThat(rates.rate(0, 2)).isCloseTo(0.075, within(1e-12));
        assertThat(rates.rate(1, 2)).isCloseTo(0.05, within(1e-12));
    }

    @Test
    void underReduceOnPlateauTheSiteTrainsAtTheRateTheCoordinatorDecided() {
        TrainingConfig task = TrainingConfig.newBuilder().setLearningRate(0.025)
                .setSchedule(Wire.toProto(LearningRateSchedule.reduceOnPlateau(0.5, 1, 0, 0), 7, 8, 0.1)).build();
        assertThat(Wire.stepRatesOf(task).rate(3, 5)).isEqualTo(0.025);
    }

    @Test
    void aMalformedScheduleIsRefusedBeforeTraining() {
        TrainingConfig task = TrainingConfig.newBuilder().setLearningRate(0.1)
                .setSchedule(Wire.toProto(LearningRateSchedule.cosine(4, 0), 1, 4, 0.1)).build();
        assertThatThrownBy(() -> Wire.stepRatesOf(task)).hasMessageContaining("schedule is malformed")
                .hasMessageContaining("warmup_rounds (4.0)");
        TrainingConfig unknown = TrainingConfig.newBuilder().setOptimizer("lamb").build();
        assertThatThrownBy(() -> Wire.optimizerOf(unknown)).hasMessageContaining("unknown optimizer 'lamb'");
    }
}
