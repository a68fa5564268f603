package org.fedmil.bench.attack;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.pki.ConsortiumCa;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attack benchmark's machinery end to end, one round: a hostile site with a valid certificate claims 10¹² bags
 * after declaring its true count to a real coordinator over mutual TLS, is refused as OVER_DECLARED, falls back to
 * its declared count and is taken; the federation finishes with a held-out AUC for round 0 and round 1.
 */
@Timeout(600)
class AttackBenchSmokeIT {

    @TempDir
    Path dir;

    @Test
    void anInflatedClaimIsRefusedOverTheWireAndTheFederationGoesOn() throws Exception {
        Path data = dir.resolve("data");
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(3).withBags(20, 40).withSeed(7))
                .writeTo(data);
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "attacks", ConsortiumCa.DEFAULT_CA_VALIDITY);

        AttackFederation.Outcome o = new AttackFederation(dir, data, ca, 2, 1,
                new CoordinatorConfig.Model("attention", "mlp", 16, 8, null, null),
                new CoordinatorConfig.Training(1, 0.002, 0.0, 7L, null, null, null)).run("fedavg", Hostile.INFLATE);

        assertThat(o.refusalCodes()).containsExactly("OVER_DECLARED");
        assertThat(o.hostileRefused()).isEqualTo(1);
        assertThat(o.hostileAccepted()).isEqualTo(1);
        assertThat(o.aucPerRound()).hasSize(2);
        assertThat(AttackReport.table(java.util.List.of(o), 2, 20, 40, 7, 1))
                .contains("| inflate | `fedavg` |").contains("{OVER_DECLARED=1}");
    }
}
