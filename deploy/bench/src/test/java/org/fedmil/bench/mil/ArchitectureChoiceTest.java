package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.fedmil.mil.model.Architecture;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Which poolings {@code bench mil} runs at each --train-bags size. */
class ArchitectureChoiceTest {

    private static MilBenchCommand parsed(String... args) {
        MilBenchCommand command = new MilBenchCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void byDefaultAllFourPoolingsRunAtTheLargestSizeAndAttentionAloneAtTheOthers() {
        MilBenchCommand command = parsed("--results", "r.jsonl");
        assertThat(command.architecturesAt(true)).containsExactly(Architecture.MAX, Architecture.MEAN,
                Architecture.ATTENTION, Architecture.GATED_ATTENTION);
        assertThat(command.architecturesAt(false)).containsExactly(Architecture.ATTENTION);
    }

    @Test
    void poolingsGivenByNameRunAtEverySize() {
        MilBenchCommand command = parsed("--results", "r.jsonl", "--architectures", "gated_attention,max");
        assertThat(command.architecturesAt(false)).containsExactly(Architecture.GATED_ATTENTION, Architecture.MAX);
        assertThat(command.architecturesAt(true)).containsExactly(Architecture.GATED_ATTENTION, Architecture.MAX);
    }

    @Test
    void aMisspeltPoolingIsRefusedBeforeAnyRunWithTheNamesThatWork() {
        MilBenchCommand command = parsed("--dataset", "mnist-bags", "--source", "/nonexistent.tgz",
                "--architectures", "attention,gated", "--results", "/nonexistent/r.jsonl");
        // call() checks the names before it reads any data: the error is the pooling's, not the missing tarball's
        assertThatThrownBy(command::call).hasMessageContaining("'gated'").hasMessageContaining("gated_attention");
    }
}
