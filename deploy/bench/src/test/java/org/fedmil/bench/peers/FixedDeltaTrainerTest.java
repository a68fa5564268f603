package org.fedmil.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.fedmil.mil.data.Npy;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.InitialWeights;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.mil.train.TrainingProgress;
import org.fedmil.site.train.SiteData;
import org.fedmil.site.train.SiteTrainer;
import org.fedmil.site.train.StartingWeights;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FixedDeltaTrainerTest {

    @TempDir
    Path dir;

    @Test
    void everyTrainCallOfTheSiteReturnsTheFixedDeltaWithoutTraining() throws Exception {
        Files.createDirectories(dir.resolve("bags"));
        Files.writeString(dir.resolve("bags.csv"), "bag_id,label\nb0,0\nb1,1\n", StandardCharsets.UTF_8);
        for (String b : List.of("b0", "b1")) {
            Npy.write(dir.resolve("bags/" + b + ".npy"), new Npy.Matrix(3, 5, new float[15]));
        }
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, 5, 4, 2);
        TensorSet global = InitialWeights.of(spec, 1);
        TrainingOptions options = new TrainingOptions(1, 0.1, 0, 1);
        try (SiteTrainer trainer = new FixedDeltaTrainer(new SiteData(dir))) {
            // the site's train task calls the overload with starting weights and the DP-SGD option; the others lead
            // to it
            for (SiteTrainer.LocalUpdate u : List.of(
                    trainer.train(spec, StartingWeights.inMemory(global), options, TrainingProgress.NONE, 0,
                            Optional.empty()),
                    trainer.train(spec, global, options, TrainingProgress.NONE, 0, Optional.empty()),
                    trainer.train(spec, global, options, TrainingProgress.NONE, 0),
                    trainer.train(spec, global, options))) {
                assertThat(u.trainingBags()).isEqualTo(2);
                for (NamedTensor t : u.delta().tensors()) {
                    for (float v : t.values()) {
                        assertThat(v).as(t.name()).isEqualTo(FixedDeltaTrainer.DELTA);
                    }
                }
            }
        }
    }
}
