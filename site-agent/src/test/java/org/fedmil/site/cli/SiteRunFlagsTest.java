package org.fedmil.site.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class SiteRunFlagsTest {

    @TempDir
    Path dir;

    private Path yaml;

    @BeforeEach
    void siteYaml() throws Exception {
        Files.createDirectories(dir.resolve("data"));
        Files.createDirectories(dir.resolve("other-data"));
        for (String pem : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(pem), "placeholder: only existence is checked when loading the config");
        }
        yaml = Files.writeString(dir.resolve("site.yaml"), """
                coordinator:
                  host: fedmil.example.org
                  port: 7443
                tls:
                  cert: cert.pem
                  key: key.pem
                  ca: ca.pem
                data_dir: data
                state_dir: state-from-file
                device: auto
                """);
    }

    private SiteConfig run(String... flags) {
        SiteCommand.Run run = new SiteCommand.Run();
        String[] args = new String[flags.length + 2];
        args[0] = "--config";
        args[1] = yaml.toString();
        System.arraycopy(flags, 0, args, 2, flags.length);
        new CommandLine(run).parseArgs(args);
        return run.effectiveConfig();
    }

    @Test
    void withoutFlagsTheFileValuesHold() {
        SiteConfig c = run();

        assertThat(c.coordinator().host()).isEqualTo("fedmil.example.org");
        assertThat(c.dataDir()).isEqualTo(dir.toAbsolutePath().resolve("data"));
        assertThat(c.stateDir()).isEqualTo(dir.toAbsolutePath().resolve("state-from-file"));
        assertThat(c.device()).isEqualTo("auto");
    }

    @Test
    void flagsWinOverTheFileValues() {
        SiteConfig c = run("--coordinator", "10.0.0.5:9443", "--data-dir", dir.resolve("other-data").toString(),
                "--state-dir", dir.resolve("other-state").toString(), "--device", "cpu");

        assertThat(c.coordinator().host()).isEqualTo("10.0.0.5");
        assertThat(c.coordinator().port()).isEqualTo(9443);
        assertThat(c.dataDir()).isEqualTo(dir.resolve("other-data").toAbsolutePath());
        assertThat(c.stateDir()).isEqualTo(dir.resolve("other-state").toAbsolutePath());
        assertThat(c.device()).isEqualTo("cpu");
    }

    @Test
    void aCoordinatorFlagThatIsNotHostColonPortIsRefusedWithAnExample() {
        assertThatThrownBy(() -> run("--coordinator", "fedmil.example.org")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--coordinator 'fedmil.example.org' is not HOST:PORT, e.g. ");
        assertThatThrownBy(() -> run("--coordinator", "fedmil.example.org:https"))
                .hasMessageContaining("the port after ':' is not a number");
    }

    @Test
    void aDataDirFlagNamingNoFolderIsRefusedNamingKeyAndFlag() {
        Path missing = dir.resolve("nowhere");

        assertThatThrownBy(() -> run("--data-dir", missing.toString())).isInstanceOf(ConfigException.class)
                .hasMessageContaining(yaml + ": key 'data_dir' names " + missing.toAbsolutePath() + ", which is not a folder")
                .hasMessageContaining("(the value was given by --data-dir on the command line)");
    }

    @Test
    void withFlagsGivenAFileMistakeIsStillRefusedNamingFileAndKey() throws Exception {
        Files.writeString(yaml, Files.readString(yaml) + "poll_wait_ms: soon\nretries: 3\n");

        assertThatThrownBy(() -> run("--device", "cpu")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(yaml + ":")
                .hasMessageContaining("key 'poll_wait_ms' has value 'soon', expected Integer")
                .hasMessageNotContaining(":-1").hasMessageNotContaining(":0:");
        Files.writeString(yaml, Files.readString(yaml).replace("poll_wait_ms: soon\n", ""));
        assertThatThrownBy(() -> run("--device", "cpu")).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(yaml + ":11: unknown key 'retries'");
    }
}
