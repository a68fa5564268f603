package org.fedmil.site.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.mil.data.ValidationSplit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** site.yaml's validation section: on by default, off at 0, and a fraction that cannot be one refused by name. */
class SiteValidationConfigTest {

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
    void validationIsOnByDefaultAndTheFileCanTurnItOffOrChooseOtherBags() throws IOException {
        assertThat(SiteConfig.load(yaml("")).validation().split())
                .isEqualTo(new ValidationSplit(ValidationSplit.DEFAULT_FRACTION, 0));
        assertThat(SiteConfig.load(yaml("validation:\n  fraction: 0\n")).validation().split().enabled()).isFalse();
        assertThat(SiteConfig.load(yaml("validation:\n  fraction: 0.3\n  seed: 9\n")).validation().split())
                .isEqualTo(new ValidationSplit(0.3, 9));
    }

    @Test
    void aFractionOfOneOrMoreIsRefusedNamingTheKey() throws IOException {
        Path file = yaml("validation:\n  fraction: 1.0\n");
        assertThatThrownBy(() -> SiteConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file + ": key 'validation.fraction' is 1.0, expected 0 (no validation bags) "
                        + "up to below 1");
    }
}
