package org.fedmil.coordinator.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class CoordinatorCommandTest {

    @TempDir
    Path dir;

    private Path yaml;

    @BeforeEach
    void coordinatorYaml() throws Exception {
        for (String f : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(f), "placeholder: only existence is checked when loading the config");
        }
        Files.createDirectories(dir.resolve("heldout"));
        yaml = Files.writeString(dir.resolve("coordinator.yaml"), """
                listen:
                  host: 0.0.0.0
                  port: 7443
                tls:
                  cert: cert.pem
                  key: key.pem
                  ca: ca.pem
                heldout_dir: heldout
                state_dir: state-from-file
                rounds: 20
                min_sites: 3
                device: auto
                """);
    }

    private CoordinatorConfig withFlags(String... flags) {
        CoordinatorCommand command = new CoordinatorCommand();
        String[] args = new String[flags.length + 2];
        args[0] = "--config";
        args[1] = yaml.toString();
        System.arraycopy(flags, 0, args, 2, flags.length);
        new CommandLine(command).parseArgs(args);
        return command.effectiveConfig();
    }

    @Test
    void withoutFlagsTheFileValuesHold() {
        CoordinatorConfig c = withFlags();

        assertThat(c.rounds()).isEqualTo(20);
        assertThat(c.minSites()).isEqualTo(3);
        assertThat(c.listen().port()).isEqualTo(7443);
        assertThat(c.stateDir()).isEqualTo(dir.toAbsolutePath().resolve("state-from-file"));
    }

    @Test
    void flagsWinOverTheFileValues() {
        Path otherState = dir.resolve("elsewhere/state");

        CoordinatorConfig c = withFlags("--port", "9443", "--host", "127.0.0.1", "--rounds", "2", "--min-sites", "1",
                "--state-dir", otherState.toString(), "--device", "cpu", "--round-deadline-seconds", "60");

        assertThat(c.listen().port()).isEqualTo(9443);
        assertThat(c.listen().host()).isEqualTo("127.0.0.1");
        assertThat(c.rounds()).isEqualTo(2);
        assertThat(c.minSites()).isEqualTo(1);
        assertThat(c.stateDir()).isEqualTo(otherState.toAbsolutePath());
        assertThat(c.device()).isEqualTo("cpu");
        assertThat(c.roundDeadlineSeconds()).isEqualTo(60);
    }

    @Test
    void minUpdatesDefaultsToTheMinSitesGivenByTheFlag() {
        assertThat(withFlags("--min-sites", "5").minUpdates()).isEqualTo(5);
        assertThat(withFlags("--min-sites", "5", "--min-updates", "4").minUpdates()).isEqualTo(4);
    }

    @Test
    void aRelativePathFlagIsResolvedAgainstTheWorkingFolderNotTheConfigFile() {
        CoordinatorConfig c = withFlags("--state-dir", "relative-state");

        assertThat(c.stateDir()).isEqualTo(Path.of("relative-state").toAbsolutePath());
    }

    @Test
    void aFlagValueOutOfRangeIsRefusedNamingTheKeyAndTheFlag() {
        assertThatThrownBy(() -> withFlags("--min-sites", "0")).isInstanceOf(ConfigException.class)
                .hasMessageContaining(yaml + ": key 'min_sites' is 0, expected at least 1")
                .hasMessageContaining("(the value was given by --min-sites on the command line)");
    }

    @Test
    void aHeldOutFlagNamingNoFolderIsRefusedWithTheKey() {
        Path missing = dir.resolve("no-such-heldout");

        assertThatThrownBy(() -> withFlags("--heldout-dir", missing.toString())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("key 'heldout_dir'")
                .hasMessageContaining(missing.toString())
                .hasMessageContaining("--heldout-dir");
    }
}
