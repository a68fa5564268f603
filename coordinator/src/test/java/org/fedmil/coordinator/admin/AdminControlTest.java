package org.fedmil.coordinator.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.Task;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PemFiles;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The admin actions without a network: status, pause, abort, revocation and its persistence. */
class AdminControlTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    @TempDir
    Path state;

    private FederationRun run;
    private Revocations revocations;
    private SiteGate gate;
    private AdminControl admin;
    private final List<String> recorded = new ArrayList<>();
    private final List<String> left = new ArrayList<>();

    @BeforeEach
    void setUp() {
        TensorSet weights = new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {1f, 1f})));
        run = new FederationRun(new FederationPlan("fed", 2, 3, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, RoundRules.waitForAll(2)),
                GlobalModel.of(0, SPEC, weights), null,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), new RoundListener() {
                    @Override
                    public void siteLeft(String siteId, String reason, int remainingSites) {
                        left.add(siteId + ": " + reason);
                    }
                });
        run.start();
        revocations = Revocations.load(state);
        gate = new SiteGate(revocations, CLOCK);
        admin = new AdminControl(run, revocations, gate, new AdminControl.Recorder() {
            @Override
            public void siteRevoked(String site, String sha, String serial, String reason, String by) {
                recorded.add("revoked " + site + " " + reason + " by " + by);
            }

            @Override
            public void siteUnrevoked(String site, String reason, String by) {
                recorded.add("unrevoked " + site + " " + reason + " by " + by);
            }
        }, CLOCK);
    }

    @AfterEach
    void close() throws InterruptedException {
        run.close();
    }

    @Test
    void statusListsTheFederationAndEverySite() {
        run.join("hospital-a", JOIN);
        AdminControl.Status s = admin.status();
        assertThat(s.federationId()).isEqualTo("fed");
        assertThat(s.phase()).isEqualTo("WAITING_FOR_SITES");
        assertThat(s.rounds()).isEqualTo(3);
        assertThat(s.sites()).singleElement().satisfies(site -> {
            assertThat(site.site()).isEqualTo("hospital-a");
            assertThat(site.state()).isEqualTo("joined");
            assertThat(site.lastSeen()).isEmpty();
        });
    }

    @Test
    void pauseAndResumeAreReportedAndIdempotent() throws Exception {
        assertThat(admin.pause("alice").paused()).isTrue();
        assertThat(admin.pause("alice").message()).isEqualTo("already paused");
        run.join("hospital-a", JOIN);
        run.join("hospital-b", JOIN);
        assertThat(run.nextTask("hospital-a", Duration.ZERO)).isInstanceOf(Task.Wait.class);
        AdminControl.Status resumed = admin.resume("alice");
        assertThat(resumed.paused()).isFalse();
        assertThat(resumed.phase()).isEqualTo("TRAINING");
        assertThat(resumed.sites()).extracting(AdminControl.Site::state).containsExactly("training", "training");
    }

    @Test
    void abortNeedsAReasonAndFinishesTheFederation() throws Exception {
        assertThatThrownBy(() -> admin.abort(" ", "alice")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reason");
        admin.abort("wrong data at site b", "alice");
        assertThat(run.awaitFinished(Duration.ofSeconds(5))).isTrue();
        assertThat(admin.status().phase()).isEqualTo("FINISHED");
    }

    @Test
    void aRevokedSiteLeavesIsRefusedAtEveryCallNamingItsCertificateAndStaysRevokedAfterARestart() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(state.resolve("pki"), "Test", Duration.ofDays(365));
        X509Certificate a = PemFiles.readCertificate(ca.issueSite("hospital-a", Duration.ofDays(30)).cert());
        X509Certificate b = PemFiles.readCertificate(ca.issueSite("hospital-b", Duration.ofDays(30)).cert());
        X509Certificate alice = PemFiles.readCertificate(ca.issueAdmin("hospital-a", Duration.ofDays(30)).cert());
        run.join("hospital-a", JOIN);

        AdminControl.Status s = admin.revoke("hospital-a", "leaked key", "alice");

        assertThat(s.sites()).singleElement().satisfies(site -> {
            assertThat(site.state()).isEqualTo("revoked");
            assertThat(site.revokedBy()).isEqualTo("alice");
            assertThat(site.revokedReason()).isEqualTo("leaked key");
        });
        assertThat(recorded).containsExactly("revoked hospital-a leaked key by alice");
        assertThat(left).containsExactly("hospital-a: revoked by admin 'alice': leaked key");
        assertThat(run.isJoined("hospital-a")).isFalse();
        assertThat(state.resolve(Revocations.FILE)).exists();
        assertThat(Files.readString(state.resolve(Revocations.FILE))).contains("hospital-a").contains("leaked key");

        // a restarted coordinator reads the list before it opens its port
        SiteGate restarted = new SiteGate(Revocations.load(state), CLOCK);
        assertThat(restarted.refusal(a)).hasValueSatisfying(why -> assertThat(why)
                .startsWith("site 'hospital-a' has been revoked by the consortium operator")
                .contains("serial " + a.getSerialNumber().toString(16)).contains("Contact the consortium operator"));
        assertThat(restarted.refusal(b)).isEmpty();
        // revocation is of sites: an admin certificate with the same CN is not affected
        assertThat(restarted.refusal(alice)).isEmpty();

        assertThatThrownBy(() -> admin.unrevoke("hospital-b", "x", "alice")).hasMessageContaining("not revoked");
        admin.unrevoke("hospital-a", "investigated: key rotated", "alice");
        assertThat(Revocations.load(state).isRevoked("hospital-a")).isFalse();
        assertThat(new SiteGate(Revocations.load(state), CLOCK).refusal(a)).isEmpty();
        assertThat(recorded).last().isEqualTo("unrevoked hospital-a investigated: key rotated by alice");
    }

    @Test
    void revokeRefusesNamesThatCannotBeSites() {
        assertThatThrownBy(() -> admin.revoke("../etc", "x", "alice")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> admin.revoke("hospital-a", "", "alice")).isInstanceOf(IllegalArgumentException.class);
        assertThat(revocations.all()).isEmpty();
    }

    @Test
    void anUnreadableRevocationListStopsTheStartRatherThanAdmittingEveryone() throws Exception {
        Files.writeString(state.resolve(Revocations.FILE), "[{\"site\": ");
        assertThatThrownBy(() -> Revocations.load(state)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("would admit revoked sites");
    }
}
