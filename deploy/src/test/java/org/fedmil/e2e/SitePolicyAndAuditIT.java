package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.fedmil.audit.EgressSchema;
import org.fedmil.audit.LogHead;
import org.fedmil.audit.Receipt;
import org.fedmil.audit.RecordSchema;
import org.fedmil.audit.RoundLogVerifier;
import org.fedmil.audit.SignedStatement;
import org.fedmil.audit.UpdateStatement;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.pki.PemFiles;
import org.fedmil.privacy.RdpAccountant;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.config.SitePolicy;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real agents against a real coordinator on loopback, with site policies and DP: what each side keeps as evidence,
 * and that a policy stops an agent before it sends what the policy forbids.
 */
class SitePolicyAndAuditIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    /** An agent's exit code and console. */
    private record AgentRun(int exit, String console) {
    }

    private static List<AgentRun> runAgents(TestFederation fed, Map<String, UnaryOperator<SiteConfig>> sites)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(sites.size());
        try {
            List<Future<AgentRun>> runs = new ArrayList<>();
            for (var e : sites.entrySet()) {
                SiteConfig config = e.getValue().apply(fed.siteConfig(e.getKey(), fed.site(e.getKey())));
                runs.add(pool.submit(() -> {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    try (SiteAgent agent = new SiteAgent(config, new PrintStream(out, true, StandardCharsets.UTF_8))) {
                        int exit = agent.run();
                        return new AgentRun(exit, out.toString(StandardCharsets.UTF_8));
                    }
                }));
            }
            List<AgentRun> done = new ArrayList<>();
            for (Future<AgentRun> r : runs) {
                done.add(r.get(5, TimeUnit.MINUTES));
            }
            return done;
        } finally {
            pool.shutdownNow();
        }
    }

    private static List<Map<String, Object>> records(Path log) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : Files.readAllLines(log)) {
            @SuppressWarnings("unchecked")
            Map<String, Object> m = JSON.readValue(line, Map.class);
            out.add(m);
        }
        return out;
    }

    private static List<Map<String, Object>> ofType(List<Map<String, Object>> records, String type) {
        return records.stream().filter(r -> type.equals(r.get("type"))).toList();
    }

    @Test
    void aDpFederationLeavesSignedEvidenceThatBothSidesLogsAndReceiptsAgreeOn() throws Exception {
        Path data = TestFederation.synthetic(dir, 2, 30, 40);
        int rounds = 2;
        double sigma = 0.5;
        try (TestFederation fed = new TestFederation(dir, data, 2, rounds,
                new CoordinatorConfig.Model("attention", "mlp", 32, 16, null, null),
                new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null,
                        new CoordinatorConfig.Dp(1.0, sigma)))) {
            List<AgentRun> runs = runAgents(fed, Map.of("site-1", UnaryOperator.identity(),
                    "site-2", c -> c.withPolicy(new SitePolicy(null, null, null,
                            new SitePolicy.Dp(true, 0.5, 2.0, 1e-5, 100.0), null))));
            assertThat(runs).allSatisfy(r -> assertThat(r.exit()).as(r.console()).isZero());
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(30))).isTrue();

            X509Certificate ca = fed.ca.certificate();
            Path roundLog = fed.coordinator.store().dir().resolve(Coordinator.ROUND_LOG);
            RoundLogVerifier.Verdict v = RoundLogVerifier.verify(roundLog, ca);
            assertThat(v.ok()).as(v.problem()).isTrue();
            List<Map<String, Object>> log = records(roundLog);
            List<Map<String, Object>> accepted = ofType(log, RecordSchema.UPDATE_ACCEPTED);
            assertThat(accepted).hasSize(2 * rounds);
            // the accountant's ε after r releases at q = 1, for every update, as the site states and signs it
            for (Map<String, Object> a : accepted) {
                UpdateStatement st = UpdateStatement.parse((String) a.get("site_statement"));
                assertThat(st.privacy()).isPresent();
                double expected = RdpAccountant.epsilonOfSampledGaussian(1.0, sigma, st.round(), 1e-5).epsilon();
                assertThat(st.privacy().get().epsilonSpent()).isCloseTo(expected, org.assertj.core.api.Assertions.within(1e-9));
                @SuppressWarnings("unchecked")
                Map<String, Object> p = (Map<String, Object>) a.get("privacy");
                assertThat(((Number) p.get("epsilon_spent")).doubleValue()).isEqualTo(st.privacy().get().epsilonSpent());
            }

            X509Certificate coordinatorCert = PemFiles.readCertificate(fed.dir.resolve("pki").resolve("coordinator")
                    .resolve("cert.pem"));
            SignedStatement head = SignedStatement.read(fed.coordinator.store().dir().resolve(AuditTrail.HEAD_FILE));
            assertThat(head.problem(coordinatorCert.getPublicKey(), "coordinator")).isNull();
            assertThat(LogHead.parse(head.statement()).records()).isEqualTo(log.size());

            for (String site : List.of("site-1", "site-2")) {
                Path state = fed.stateDir(site);
                Path egressLog = state.resolve("egress-log.jsonl");
                RoundLogVerifier.Verdict ev = RoundLogVerifier.verify(egressLog, ca);
                assertThat(ev.ok()).as(site + ": " + ev.problem()).isTrue();
                List<Map<String, Object>> egress = records(egressLog);
                List<Map<String, Object>> uploads = ofType(egress, EgressSchema.SENT).stream()
                        .filter(r -> "UploadUpdate".equals(r.get("rpc"))).toList();
                assertThat(uploads).as(site + " described each upload header").hasSize(rounds);
                assertThat(uploads).allSatisfy(u -> assertThat(u.get("coordinator_fingerprint"))
                        .isEqualTo(org.fedmil.pki.Certificates.sha256Fingerprint(coordinatorCert)));
                List<Map<String, Object>> receipts = ofType(egress, EgressSchema.RECEIPT_RECEIVED);
                assertThat(receipts).hasSize(rounds);
                for (Map<String, Object> r : receipts) {
                    SignedStatement signed = SignedStatement.read(state.resolve((String) r.get("receipt_file")));
                    assertThat(signed.problem(coordinatorCert.getPublicKey(), "coordinator")).isNull();
                    Receipt receipt = Receipt.parse(signed.statement());
                    assertThat(receipt.site()).isEqualTo(site);
                    // the record the receipt names is in the coordinator's log, with that hash, for that update
                    String line = Files.readAllLines(roundLog).get((int) receipt.logSeq() - 1);
                    assertThat(Sha256.hex(Sha256.of(line.getBytes(StandardCharsets.UTF_8))))
                            .isEqualTo(receipt.logRecordSha256());
                    assertThat(line).contains("\"update_sha256\":\"" + receipt.updateSha256() + "\"")
                            .contains("\"site\":\"" + site + "\"");
                }
                assertThat(ofType(egress, EgressSchema.LOG_HEAD_RECEIVED)).isNotEmpty();
                org.fedmil.audit.CrossCheck.Result cross = org.fedmil.audit.CrossCheck.run(roundLog, egressLog,
                        state.resolve("receipts"), ca);
                assertThat(cross.disagreements()).as(site + " against the round log").isEmpty();
                assertThat(cross.uploads()).isEqualTo(rounds);
                assertThat(cross.receipts()).isEqualTo(rounds);
                assertThat(state.resolve("privacy-ledger.json")).exists();
                // nothing the site sent names a bag
                assertThat(Files.readString(egressLog)).doesNotContain("bag_0").doesNotContain(".npy");
            }
        }
    }

    @Test
    void aPolicyThatForbidsTheNextRoundStopsTheAgentBeforeItSendsAndTheCoordinatorLogsItsLeaving() throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 3, 30, 40)) {
            List<AgentRun> runs = runAgents(fed, Map.of("site-1", UnaryOperator.identity(),
                    "site-2", c -> c.withPolicy(new SitePolicy(null, 1, null, null, null))));
            AgentRun site2 = runs.get(0).console().contains("site-2") ? runs.get(0) : runs.get(1);
            AgentRun site1 = site2 == runs.get(0) ? runs.get(1) : runs.get(0);
            assertThat(site2.exit()).as(site2.console()).isEqualTo(SiteAgent.POLICY_STOPPED);
            assertThat(site2.console()).contains("site policy rule 'max_rounds'").contains("round 2");
            assertThat(site1.exit()).as(site1.console()).isZero();

            List<Map<String, Object>> egress = records(fed.stateDir("site-2").resolve("egress-log.jsonl"));
            assertThat(ofType(egress, EgressSchema.SENT).stream().filter(r -> "UploadUpdate".equals(r.get("rpc"))))
                    .as("one update sent, none for round 2").hasSize(1);
            assertThat(ofType(egress, EgressSchema.POLICY_STOPPED)).singleElement()
                    .satisfies(r -> assertThat(r.get("rule")).isEqualTo("max_rounds"));

            List<Map<String, Object>> log = records(fed.coordinator.store().dir().resolve(Coordinator.ROUND_LOG));
            assertThat(ofType(log, RecordSchema.SITE_LEFT)).singleElement()
                    .satisfies(r -> assertThat((String) r.get("reason")).contains("max_rounds"));
            assertThat(ofType(log, RecordSchema.UPDATE_ACCEPTED).stream().filter(r -> "site-2".equals(r.get("site"))))
                    .hasSize(1);
            assertThat(ofType(log, RecordSchema.ROUND_AGGREGATED)).as("the federation finished without site-2")
                    .hasSize(3);
            assertThat(RoundLogVerifier.verify(fed.coordinator.store().dir().resolve(Coordinator.ROUND_LOG),
                    fed.ca.certificate()).ok()).isTrue();
        }
    }

    @Test
    void aCoordinatorWhoseCertificateIsNotThePinnedOneIsRefusedBeforeAnythingIsSent() throws Exception {
        try (TestFederation fed = new TestFederation(dir, 1, 1, 20, 20)) {
            String otherFingerprint = "AB:".repeat(31) + "AB";
            List<AgentRun> runs = runAgents(fed, Map.of("site-1",
                    c -> c.withPolicy(new SitePolicy(otherFingerprint, null, null, null, null))));
            assertThat(runs.get(0).exit()).isEqualTo(SiteAgent.POLICY_STOPPED);
            assertThat(runs.get(0).console()).contains("site policy rule 'coordinator_fingerprint'")
                    .contains(otherFingerprint).contains("Nothing was sent");
            assertThat(fed.coordinator.run().joinedSites()).isEmpty();
            List<Map<String, Object>> egress = records(fed.stateDir("site-1").resolve("egress-log.jsonl"));
            assertThat(ofType(egress, EgressSchema.SENT)).as("no message was described, none sent").isEmpty();
        }
    }

    @Test
    void aSiteStopsBeforeTheUpdateThatWouldExceedItsLifetimePrivacyBudgetAndTheBudgetOutlivesTheFederation()
            throws Exception {
        double sigma = 0.5;
        double afterOne = RdpAccountant.epsilonOfSampledGaussian(1.0, sigma, 1, 1e-5).epsilon();
        double afterTwo = RdpAccountant.epsilonOfSampledGaussian(1.0, sigma, 2, 1e-5).epsilon();
        double budget = (afterOne + afterTwo) / 2;
        Path data = TestFederation.synthetic(dir, 2, 30, 40);
        try (TestFederation fed = new TestFederation(dir, data, 2, 3,
                new CoordinatorConfig.Model("attention", "mlp", 32, 16, null, null),
                new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null,
                        new CoordinatorConfig.Dp(1.0, sigma)))) {
            UnaryOperator<SiteConfig> budgeted = c -> c.withPolicy(new SitePolicy(null, null, null,
                    new SitePolicy.Dp(null, null, null, 1e-5, budget), null));
            List<AgentRun> runs = runAgents(fed, Map.of("site-1", UnaryOperator.identity(), "site-2", budgeted));
            AgentRun site2 = runs.get(0).console().contains("site-2") ? runs.get(0) : runs.get(1);
            assertThat(site2.exit()).as(site2.console()).isEqualTo(SiteAgent.POLICY_STOPPED);
            assertThat(site2.console()).contains("site policy rule 'dp.lifetime_epsilon'");
            List<Map<String, Object>> egress = records(fed.stateDir("site-2").resolve("egress-log.jsonl"));
            assertThat(ofType(egress, EgressSchema.SENT).stream().filter(r -> "UploadUpdate".equals(r.get("rpc"))))
                    .as("only the update within the budget was sent").hasSize(1);
            org.fedmil.privacy.PrivacyLedger ledger = org.fedmil.privacy.PrivacyLedger.open(
                    fed.stateDir("site-2").resolve("privacy-ledger.json"), 1e-5);
            assertThat(ledger.releases()).hasSize(1);
            assertThat(ledger.spent().epsilon()).isCloseTo(afterOne, org.assertj.core.api.Assertions.within(1e-9));
        }
        // the ledger is the site's, not the federation's: a new agent on the same state folder is still refused
        Path again = dir.resolve("again");
        Files.createDirectories(again);
        try (TestFederation next = new TestFederation(again, TestFederation.synthetic(again, 1, 30, 40), 1, 1,
                new CoordinatorConfig.Model("attention", "mlp", 32, 16, null, null),
                new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null,
                        new CoordinatorConfig.Dp(1.0, sigma)))) {
            Path oldState = dir.resolve("site-2-state");
            List<AgentRun> runs = runAgents(next, Map.of("site-1", c -> new SiteConfig(c.coordinator(), c.tls(),
                    c.dataDir(), c.device(), c.pollWaitMs(), c.connectTimeoutSeconds(), oldState, c.augmentation(),
                    new SitePolicy(null, null, null, new SitePolicy.Dp(null, null, null, 1e-5, budget), null))));
            assertThat(runs.get(0).exit()).as(runs.get(0).console()).isEqualTo(SiteAgent.POLICY_STOPPED);
            assertThat(runs.get(0).console()).contains("dp.lifetime_epsilon").contains("nothing was trained or sent");
        }
    }
}
