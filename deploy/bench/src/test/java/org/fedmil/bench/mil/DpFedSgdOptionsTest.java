package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.engine.Engine;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.LossConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code bench mil --dp-fedsgd-*}: a bad setting is refused before any arm runs, naming its option. */
class DpFedSgdOptionsTest {

    @TempDir
    Path dir;

    private MilBenchmark bench() {
        Recipe recipe = new Recipe(40, 1, 3e-2, 0, LossConfig.DEFAULT, BagAugmentation.NONE);
        return new MilBenchmark(recipe, 16, 8, Engine.getInstance().defaultDevice(), false,
                dir.resolve("results.jsonl"), new PrintStream(OutputStream.nullOutputStream()));
    }

    @Test
    void badDpFedSgdSettingsAreRefusedNamingTheOption() {
        assertThatThrownBy(() -> bench().withDpFedSgd(List.of(8.0), 0, 0.25, 3e-2))
                .hasMessageContaining("--dp-fedsgd-clip must be a finite C > 0").hasMessageContaining("got 0.0");
        assertThatThrownBy(() -> bench().withDpFedSgd(List.of(8.0), 1.0, 1.5, 3e-2))
                .hasMessageContaining("--dp-fedsgd-sampling-rate must be in (0, 1], got 1.5");
        assertThatThrownBy(() -> bench().withDpFedSgd(List.of(8.0), 1.0, 0.25, -1))
                .hasMessageContaining("--dp-fedsgd-server-lr");
        assertThatThrownBy(() -> bench().withDpFedSgd(List.of(8.0, 0.0), 1.0, 0.25, 3e-2))
                .hasMessageContaining("--dp-fedsgd-epsilon must be finite targets > 0").hasMessageContaining("got 0.0");
    }

    @Test
    void withoutTargetsTheOtherSettingsAreNotChecked() {
        // the defaults of unused options must not fail a run that asks for no DP-FedSGD arm
        assertThatCode(() -> bench().withDpFedSgd(List.of(), Double.NaN, 0.25, 0.01)).doesNotThrowAnyException();
        assertThatCode(() -> bench().withDpFedSgd(List.of(8.0, 1.0), 1.0, 0.25, 3e-2)).doesNotThrowAnyException();
    }
}
