package org.fedmil.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.fedmil.cli.Fedmil;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** With this module on the class path, as under a source checkout's ./fedmil, `fedmil bench` is the real one. */
class BenchJoinsTheLauncherTest {

    @Test
    void fedmilFindsTheBenchCommandWithItsMilPerfAndToolboxSubcommands() {
        Map<String, CommandLine> commands = Fedmil.commandLine().getSubcommands();

        assertThat(commands).containsKey("bench");
        CommandLine bench = commands.get("bench");
        assertThat((Object) bench.getCommand()).isInstanceOf(BenchCommand.class);
        assertThat(bench.getSubcommands()).containsKeys("mil", "perf", "toolbox", "attacks", "peers");
    }
}
