package org.fedmil.site.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SiteConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void siteFiles() throws IOException {
        Files.createDirectories(dir.resolve("data"));
        for (String pem : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(pem), "-----BEGIN-----\n");
        }
    }

    private Path yaml(String extra) throws IOException {
        return Files.writeString(dir.resolve("site.yaml"), """
                coordinator:
                  host: fedmil.example.org
                tls:
                  cert: cert.pem
                  key: key.pem
                  ca: ca.pem
                data_dir: data
                """ + extra);
    }

    @Test
    void theStateFolderDefaultsToSiteStateNextToTheSiteYamlAndIsNotCreatedByReading() throws IOException {
        SiteConfig config = SiteConfig.load(yaml(""));

        assertThat(config.stateDir()).isEqualTo(dir.toAbsolutePath().resolve("site-state"));
        assertThat(config.stateDir()).doesNotExist();
    }

    @Test
    void aRelativeStateDirIsResolvedAgainstTheSiteYaml() throws IOException {
        SiteConfig config = SiteConfig.load(yaml("state_dir: var/fedmil\n"));

        assertThat(config.stateDir()).isEqualTo(dir.toAbsolutePath().resolve("var/fedmil"));
    }

    @Test
    void aStateDirThatIsAFileIsRefused() throws IOException {
        Files.writeString(dir.resolve("site-state"), "not a folder");

        assertThatThrownBy(() -> SiteConfig.load(yaml(""))).isInstanceOf(ConfigException.class)
                .hasMessageContaining("key 'state_dir' names " + dir.toAbsolutePath().resolve("site-state")
                        + ", which is a file, not a folder (state_dir defaults to 'site-state'");
    }

    @Test
    void anUnknownKeyIsRefusedWithFileLineKeyAndTheKnownKeys() throws IOException {
        Path file = yaml("pol_wait_ms: 100\n");

        assertThatThrownBy(() -> SiteConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":8: unknown key 'pol_wait_ms'; expected one of: ")
                .hasMessageContaining("poll_wait_ms");
    }

    @Test
    void aValueOfTheWrongTypeIsRefusedWithItsKeyAndTheExpectedType() throws IOException {
        Path file = yaml("poll_wait_ms: soon\n");

        assertThatThrownBy(() -> SiteConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageStartingWith(file + ":8: key 'poll_wait_ms' has value 'soon', expected Integer");
    }

    @Test
    void aMissingCertificateFileIsRefusedNamingKeyPathAndWhatToDo() throws IOException {
        Files.delete(dir.resolve("key.pem"));

        assertThatThrownBy(() -> SiteConfig.load(yaml(""))).isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("site.yaml") + ": key 'tls.key' names " + dir.toAbsolutePath().resolve("key.pem")
                        + ", which does not exist or is not readable; issue it with 'fedmil pki issue'");
    }

    @Test
    void aDataDirThatDoesNotExistIsRefusedNamingKeyAndPath() throws IOException {
        Files.delete(dir.resolve("data"));

        assertThatThrownBy(() -> SiteConfig.load(yaml(""))).isInstanceOf(ConfigException.class)
                .hasMessage(dir.resolve("site.yaml") + ": key 'data_dir' names " + dir.toAbsolutePath().resolve("data")
                        + ", which is not a folder");
    }

    @Test
    void theHandshakeTimeoutDefaultsToTenSecondsAndIsReadFromTheCoordinatorSection() throws IOException {
        assertThat(SiteConfig.load(yaml("")).coordinator().handshakeTimeoutSeconds()).isEqualTo(10);

        Files.writeString(dir.resolve("site.yaml"), Files.readString(dir.resolve("site.yaml"))
                .replace("  host: fedmil.example.org\n", "  host: fedmil.example.org\n  handshake_timeout_seconds: 45\n"));
        assertThat(SiteConfig.load(dir.resolve("site.yaml")).coordinator().handshakeTimeout()).hasSeconds(45);
    }

    @Test
    void aHandshakeTimeoutOutsideItsRangeIsRefusedWithTheKeyAndTheRange() throws IOException {
        Path file = yaml("");
        Files.writeString(file, Files.readString(file)
                .replace("  host: fedmil.example.org\n", "  host: fedmil.example.org\n  handshake_timeout_seconds: 0\n"));

        assertThatThrownBy(() -> SiteConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("key 'coordinator.handshake_timeout_seconds' is 0, expected 1..600");
    }
}
