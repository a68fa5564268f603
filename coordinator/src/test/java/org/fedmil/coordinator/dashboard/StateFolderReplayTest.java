package org.fedmil.coordinator.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.fedmil.audit.RoundLog;
import org.fedmil.coordinator.admin.Revocations;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A state folder read back into the dashboard without a coordinator: a round log written by the coordinator's own
 * audit trail (joins, a refusal, a revocation, a restart), and folders that are not state folders.
 */
class StateFolderReplayTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);

    @TempDir
    Path dir;

    @Test
    void aRoundLogIsReplayedIntoSitesWithTheirStateReasonAndLastRecord() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", Duration.ofDays(2));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(1));
        Path state = Files.createDirectories(dir.resolve("state"));
        FederationPlan plan = new FederationPlan("fed", 2, 3, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, RoundRules.waitForAll(2));
        StateStore store = new StateStore(state);
        store.saveFederation(plan);
        store.close();
        try (RoundLog log = RoundLog.open(state.resolve("round-log.jsonl"), PemFiles.readPrivateKey(coordinator.key()),
                PemFiles.readCertificate(coordinator.cert()))) {
            AuditTrail audit = new AuditTrail(log);
            audit.opened(plan, false, 1);
            SiteJoin join = new SiteJoin("0.1", "cpu()", Map.of(0, 3L, 1, 2L));
            audit.siteJoined("site-a", join, 1, 2);
            audit.siteJoined("site-b", join, 2, 2);
            audit.updateRefused("site-b", 1, UpdateRefusal.WRONG_TENSORS, "w: shape [3], expected [2]");
            audit.updateRefused("site-x", 1, UpdateRefusal.NOT_JOINED, "join first");
            audit.siteRevoked("site-b", "ab:cd", "01", "key leaked", "alice");
            audit.siteLeft("site-b", "revoked by admin 'alice': key leaked", 1);
        }
        Revocations.load(state).revoke(new Revocations.Entry("site-b", "ab:cd", "01", "key leaked", "alice",
                "2026-01-01T00:00:00Z"));

        DashboardState.Snapshot s = StateFolderReplay.read(state).state().snapshot();

        assertThat(s.federationId()).isEqualTo("fed");
        assertThat(s.readOnly()).isTrue();
        assertThat(s.sites()).extracting(DashboardState.SiteRow::site, DashboardState.SiteRow::state)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("site-a", "joined"),
                        org.assertj.core.groups.Tuple.tuple("site-b", "revoked"),
                        org.assertj.core.groups.Tuple.tuple("site-x", "left"));
        assertThat(s.sites()).extracting(DashboardState.SiteRow::refusals).containsExactly(0, 1, 1);
        assertThat(s.sites().get(1).leftReason()).isEqualTo("revoked by alice: key leaked");
        assertThat(s.sites().get(1).lastSeen()).as("the time of its last record").isNotEmpty();
        assertThat(s.sites().get(0).bags()).isEqualTo(5);
        assertThat(s.refusals()).extracting(DashboardState.Refusal::kind).containsExactly("NOT_JOINED", "WRONG_TENSORS");
        assertThat(DashboardPage.page(s)).contains("Read from the state folder");
    }

    @Test
    void aFolderThatIsNotAStateFolderIsRefusedNamingTheMissingFile() throws Exception {
        assertThatThrownBy(() -> StateFolderReplay.read(dir)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(dir + " has no federation.json")
                .hasMessageContaining("give the state_dir of a coordinator");
        Files.writeString(dir.resolve("federation.json"), "{\"federation_id\": \"fed\", \"rounds\": 3, \"min_sites\": 2}");
        assertThatThrownBy(() -> StateFolderReplay.read(dir)).hasMessageContaining("has no round-log.jsonl");
        Files.writeString(dir.resolve("round-log.jsonl"), "");
        Files.writeString(dir.resolve("metrics.json"), "[{\"round\": ");
        assertThatThrownBy(() -> StateFolderReplay.read(dir)).hasMessageContaining(dir.resolve("metrics.json")
                + " does not parse");
    }
}
