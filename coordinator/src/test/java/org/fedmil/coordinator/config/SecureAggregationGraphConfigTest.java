package org.fedmil.coordinator.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.round.SecAggGraphPolicy;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** secure_aggregation_graph: when rounds switch to SecAgg+, and the risk its graph degree is chosen for. */
class SecureAggregationGraphConfigTest {

    @TempDir
    Path dir;

    @BeforeEach
    void pemFiles() throws Exception {
        MinimalCoordinatorYaml.placeholders(dir);
    }

    private Path yaml(String section) throws Exception {
        return MinimalCoordinatorYaml.write(dir, section);
    }

    @Test
    void withoutTheSectionSecAggPlusStartsAbove20Sites() throws Exception {
        SecAggGraphPolicy p = CoordinatorConfig.load(yaml("")).secureAggregationGraph().policy();
        assertThat(p).isEqualTo(SecAggGraphPolicy.DEFAULT);
        assertThat(p.sparseAboveSites()).isEqualTo(20);
    }

    @Test
    void theSectionSetsTheBoundAndTheRisk() throws Exception {
        SecAggGraphPolicy p = CoordinatorConfig.load(yaml("""
                secure_aggregation_graph:
                  sparse_above_sites: 40
                  colluding_fraction: 0.1
                  dropout_rate: 0.2
                """)).secureAggregationGraph().policy();
        assertThat(p.sparseAboveSites()).isEqualTo(40);
        assertThat(p.rule().colludingFraction()).isEqualTo(0.1);
        assertThat(p.rule().dropoutRate()).isEqualTo(0.2);
        assertThat(p.rule().privacyBits()).isEqualTo(40);
    }

    @Test
    void aColludingFractionThatLeavesNoHonestSiteIsRefusedNamingTheFileAndKey() throws Exception {
        Path file = yaml("""
                secure_aggregation_graph:
                  colluding_fraction: 0.7
                  dropout_rate: 0.4
                """);
        assertThatThrownBy(() -> CoordinatorConfig.load(file)).isInstanceOf(ConfigException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("key 'secure_aggregation_graph.colluding_fraction' is 0.7")
                .hasMessageContaining("less than 1 − dropout_rate");
    }
}
