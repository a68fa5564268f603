package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The turn-taking protocol with real processes (a shell standing in for a worker). */
class TrainingWorkerProcessTest {

    @Test
    void answersOneRateForEveryRunSkippingLogLines() throws Exception {
        String script = "echo 'engine log line'; echo '{\"ready\": true}'; n=0; while read cmd; do n=$((n+1)); "
                + "echo \"log $n\"; echo \"{\\\"bags_per_second\\\": [$n.5], \\\"bags_per_cpu_second\\\": [$((n*2))]}\"; done";
        try (TrainingWorkerProcess worker = TrainingWorkerProcess.start("test worker", List.of("/bin/sh", "-c", script),
                2)) {
            assertThat(worker.run()).isEqualTo(new TrainingWorkerProcess.Rate(1.5, 2));
            assertThat(worker.run()).isEqualTo(new TrainingWorkerProcess.Rate(2.5, 4));
        }
    }

    @Test
    void theThreadCountReachesTheWorkersEnvironment() throws Exception {
        String script = "echo '{\"ready\": true}'; read cmd; "
                + "echo \"{\\\"bags_per_second\\\": [$OMP_NUM_THREADS], \\\"bags_per_cpu_second\\\": [$MKL_NUM_THREADS]}\"";
        try (TrainingWorkerProcess worker = TrainingWorkerProcess.start("test worker", List.of("/bin/sh", "-c", script),
                3)) {
            assertThat(worker.run()).isEqualTo(new TrainingWorkerProcess.Rate(3, 3));
        }
    }

    @Test
    void aWorkerThatDiesBeforeReadyIsNamedWithItsOutput() {
        assertThatThrownBy(() -> TrainingWorkerProcess.start("the PyTorch peer",
                List.of("/bin/sh", "-c", "echo 'ModuleNotFoundError: torch'; exit 3"), 1))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("the PyTorch peer ended without an answer")
                .hasMessageContaining("ModuleNotFoundError: torch");
    }
}
