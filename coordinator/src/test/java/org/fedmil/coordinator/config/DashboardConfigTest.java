package org.fedmil.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** coordinator.yaml's dashboard section. */
class DashboardConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void pemFiles() throws Exception {
        for (String f : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(f), "placeholder");
        }
        Files.createDirectories(dir.resolve("heldout"));
    }

    private Path yaml(String extra) throws Exception {
        Path file = dir.resolve("coordinator.yaml");
        Files.writeString(file, "tls:\n  cert: cert.pem\n  key: key.pem\n  ca: ca.pem\nheldout_dir: heldout\n" + extra);
        return file;
    }

    @Test
    void theDashboardIsOffByDefaultAndBindsLocalhost8080WhenOn() throws Exception {
        CoordinatorConfig.Dashboard off = CoordinatorConfig.load(yaml("")).dashboard();
        assertThat(off.enabled()).isFalse();
        assertThat(off.host()).isEqualTo("127.0.0.1");
        assertThat(off.port()).isEqualTo(8080);
        CoordinatorConfig.Dashboard on = CoordinatorConfig.load(yaml("dashboard:\n  enabled: true\n  port: 0\n"))
                .dashboard();
        assertThat(on.enabled()).isTrue();
        assertThat(on.port()).isZero();
        assertThat(on.host()).isEqualTo("127.0.0.1");
    }

    @Test
    void aWrongDashboardKeyOrPortIsRefused() throws Exception {
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("dashboard:\n  prot: 80\n")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown key 'dashboard.prot'")
                .hasMessageContaining("port");
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("dashboard:\n  port: 70000\n")))
                .hasMessageContaining("'dashboard.port' is 70000, expected 0..65535");
        assertThatThrownBy(() -> CoordinatorConfig.load(yaml("dashboard:\n  enabled: maybe\n")))
                .hasMessageContaining("dashboard.enabled");
    }
}
