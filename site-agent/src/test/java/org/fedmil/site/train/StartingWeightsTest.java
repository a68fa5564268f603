package org.fedmil.site.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.InitialWeights;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.mil.train.TrainingProgress;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round's starting weights backed by the state folder's model file: let go once loaded, and the delta formed
 * against the file is the delta formed against a copy kept in memory, float for float.
 */
class StartingWeightsTest {

    @TempDir
    Path dir;

    private Path site;
    private ModelSpec spec;
    private TensorSet global;
    private Path file;
    private byte[] sha256;

    @BeforeEach
    void data() throws Exception {
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1).withBags(12, 4).withSeed(3))
                .writeTo(dir.resolve("data"));
        site = dir.resolve("data/site-1");
        spec = new ModelSpec(Architecture.ATTENTION, BagDataset.load(site).dim(), 8, 4);
        global = InitialWeights.of(spec, 5);
        file = dir.resolve("global-model.fedmil");
        ModelFile.write(file, spec, global, Map.of("model_version", "3"));
        sha256 = Sha256.of(TensorCodec.encode(global));
    }

    private SiteTrainer.LocalUpdate train(StartingWeights start) {
        try (SiteTrainer trainer = new SiteTrainer(Device.cpu(), new SiteData(site))) {
            return trainer.train(spec, start, new TrainingOptions(2, 0.01, 0, 9), TrainingProgress.NONE, 0,
                    Optional.empty());
        }
    }

    @Test
    void aSiteTrainedFromTheFileSendsTheDeltaItWouldHaveSentFromMemory() {
        TensorSet fromMemory = train(StartingWeights.inMemory(global)).delta();
        TensorSet fromFile = train(StartingWeights.backedBy(global, file, sha256)).delta();

        assertThat(fromFile).isEqualTo(fromMemory);
        assertThat(fromFile.tensors().get(0).values()).as("training moved the weights").isNotEqualTo(
                new float[fromFile.tensors().get(0).values().length]);
    }

    @Test
    void theDeltaIsTheTrainedWeightsLessTheStartingOnesAsTensorSetMinusGivesIt() {
        TensorSet trained = InitialWeights.of(spec, 6);
        for (StartingWeights start : new StartingWeights[] {StartingWeights.inMemory(global),
                StartingWeights.backedBy(global, file, sha256)}) {
            try (MilModel model = MilModel.create(spec, Device.cpu(), 0)) {
                start.loadInto(model);
                model.setWeights(trained);
                assertThat(start.deltaOf(model)).isEqualTo(trained.minus(global));
            }
        }
    }

    @Test
    void weightsBackedByTheFileAreLetGoOnceLoaded() {
        StartingWeights start = StartingWeights.backedBy(global, file, sha256);
        try (MilModel model = MilModel.create(spec, Device.cpu(), 0)) {
            start.loadInto(model);
            assertThatThrownBy(() -> start.loadInto(model)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("let go").hasMessageContaining(file.toString());
        }
    }

    @Test
    void aFileChangedWhileTheSiteTrainedGivesNoDelta() throws Exception {
        StartingWeights start = StartingWeights.backedBy(global, file, sha256);
        try (MilModel model = MilModel.create(spec, Device.cpu(), 0)) {
            start.loadInto(model);
            try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
                f.seek(f.length() - 2);
                f.write(0x7f);
            }
            assertThatThrownBy(() -> start.deltaOf(model)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining(file.toString()).hasMessageContaining("no longer holds")
                    .hasMessageContaining("not sent");
        }
    }
}
