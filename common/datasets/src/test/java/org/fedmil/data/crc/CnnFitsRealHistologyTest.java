package org.fedmil.data.crc;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.data.TileImages;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.BagLoss;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.mil.train.TrainingResult;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * A CNN of the size sites train must be able to memorise a handful of real bags: if it cannot fit its own training
 * data, no recipe or federation will make it learn. Real H&amp;E patches (crc-nuclei), cut to 24 tiles a bag as
 * tile-based sets often are; before the encoder standardised each bag, training on such bags sat at the constant
 * predictor's loss ln 2 ≈ 0.69 with every bag scored alike.
 */
class CnnFitsRealHistologyTest {

    private static final int BAGS_PER_CLASS = 8;
    private static final int TILES_PER_BAG = 24;

    @Test
    void attentionMilOverfitsSixteenRealHistologyBags() {
        List<Bag> bags = smallRealTrainingSet();
        ModelSpec spec = ModelSpec.cnn(Architecture.ATTENTION, CrcNuclei.CHANNELS, CrcNuclei.PATCH_SIZE, 64, 32);
        try (MilModel model = MilModel.create(spec, 7)) {
            TrainingResult result = new LocalTrainer().train(model, bags,
                    new TrainingOptions(30, 5e-4, 0, 1, BagLoss.CROSS_ENTROPY, BagAugmentation.NONE));

            MilModel.Scores scores = model.score(bags);
            float min = 1;
            float max = 0;
            for (float p : scores.probabilities()) {
                min = Math.min(min, p);
                max = Math.max(max, p);
            }
            System.out.printf("CnnFitsRealHistologyTest: last-epoch loss %.4f, training AUC %.3f, scores %.3f..%.3f%n",
                    result.meanLoss(), BinaryMetrics.of(scores.labels(), scores.probabilities()).auc(), min, max);
            assertThat(result.meanLoss()).as("last-epoch training loss (ln 2 = 0.693 is learning nothing)")
                    .isLessThan(0.1);
            assertThat(BinaryMetrics.of(scores.labels(), scores.probabilities()).auc()).isEqualTo(1.0);
        }
    }

    private static List<Bag> smallRealTrainingSet() {
        Optional<Path> dataset = CrcNuclei.besideRepository(Path.of(""));
        if (dataset.isEmpty()) {
            System.out.println("CnnFitsRealHistologyTest: skipped, the crc-nuclei data set is not at "
                    + "../shared/datasets/crc-nuclei beside the repository");
        }
        Assumptions.assumeTrue(dataset.isPresent(), "the crc-nuclei data set is not beside the repository");
        CrcNuclei crc = CrcNuclei.read(dataset.get());
        TileFormat format = new TileFormat(CrcNuclei.CHANNELS, CrcNuclei.PATCH_SIZE);
        int[] taken = new int[2];
        List<Bag> bags = new ArrayList<>();
        for (CrcNuclei.Patient patient : crc.patients()) {
            if (taken[patient.label()] == BAGS_PER_CLASS || patient.size() < TILES_PER_BAG) {
                continue;
            }
            taken[patient.label()]++;
            float[] features = new float[TILES_PER_BAG * format.dim()];
            for (int i = 0; i < TILES_PER_BAG; i++) {
                Path tile = crc.dataset().resolve(CrcNuclei.PATCH_DIR).resolve(patient.patches().get(i).imageName());
                System.arraycopy(TileImages.read(tile, format), 0, features, i * format.dim(), format.dim());
            }
            bags.add(new Bag(patient.bagId(), patient.label(), TILES_PER_BAG, format.dim(), features));
        }
        assertThat(bags).hasSize(2 * BAGS_PER_CLASS);
        return bags;
    }
}
