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

class ReportEpsilonConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void siteFiles() throws IOException {
        Files.createDirectories(dir.resolve("data"));
        for (String pem : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(pem), "-----BEGIN-----\n");
        }
    }

    private Path yaml(String policy) throws IOException {
        return Files.writeString(dir.resolve("site.yaml"), """
                coordinator:
                  host: fedmil.example.org
                tls:
                  cert: cert.pem
                  key: key.pem
                  ca: ca.pem
                data_dir: data
                """ + policy);
    }

    @Test
    void theCoordinatorIsToldThisFederationsSpendUnlessThePolicySaysLifetime() throws IOException {
        assertThat(SiteConfig.load(yaml("")).policy().dp().reportsLifetime()).isFalse();
        assertThat(SiteConfig.load(yaml("policy:\n  dp:\n    report_epsilon: lifetime\n")).policy().dp()
                .reportsLifetime()).isTrue();
    }

    @Test
    void anUnknownReportEpsilonIsRefusedNamingTheKeyAndTheChoices() throws IOException {
        Path file = yaml("policy:\n  dp:\n    report_epsilon: total\n");
        assertThatThrownBy(() -> SiteConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("policy.dp.report_epsilon").hasMessageContaining("'total'")
                .hasMessageContaining("'federation'").hasMessageContaining("'lifetime'");
    }
}
