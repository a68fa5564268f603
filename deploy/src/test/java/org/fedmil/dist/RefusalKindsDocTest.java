package org.fedmil.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.junit.jupiter.api.Test;

/** Every refusal kind a site or an operator can meet is documented where they look it up. */
class RefusalKindsDocTest {

    @Test
    void everyRefusalKindIsListedInTheOperatorGuidesMetricsAndInTheProtocol() throws Exception {
        String guide = Files.readString(Path.of("../docs/operator-guide.md"));
        String metricsRow = guide.lines().filter(l -> l.startsWith("| `fedmil_updates_refused_total`"))
                .findFirst().orElseThrow(() -> new AssertionError("no fedmil_updates_refused_total row"));
        String protocol = Files.readString(Path.of("../docs/protocol.md"));
        for (UpdateRefusal kind : UpdateRefusal.values()) {
            assertThat(metricsRow).as("operator-guide.md, the reasons of fedmil_updates_refused_total")
                    .contains("`" + kind.name() + "`");
            assertThat(protocol).as("protocol.md's refusal table").contains("| `" + kind.name() + "` |");
        }
    }
}
