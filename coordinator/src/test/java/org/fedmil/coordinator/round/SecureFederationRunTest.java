package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.secagg.SecAggClient;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A securely aggregated federation's round logic without a network: the steps each site is asked for, what the
 * coordinator accepts, and the model it makes; dropouts are driven by calling the step deadlines directly.
 */
class SecureFederationRunTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));
    private static final Duration NO_WAIT = Duration.ZERO;

    private final List<RoundResult> completed = Collections.synchronizedList(new ArrayList<>());
    private final List<String> shortRounds = Collections.synchronizedList(new ArrayList<>());
    private final List<String> refusals = Collections.synchronizedList(new ArrayList<>());
    @TempDir
    static Path pkiDir;
    /** Issues every site's certificate: sites sign their keys with it and check each other's against the CA. */
    private static ConsortiumCa ca;
    private static final Map<String, RosterAuthentication> IDENTITIES = new HashMap<>();

    private final Map<String, SecAggClient> clients = new HashMap<>();
    private final Map<String, float[]> deltas = new HashMap<>();
    private final Map<String, Long> bags = new HashMap<>();
    private FederationRun run;
    private SecAggGraphPolicy graphPolicy = SecAggGraphPolicy.DEFAULT;
    private final List<SecureAggregationAudit> audits = new java.util.concurrent.CopyOnWriteArrayList<>();

    private static TensorSet weights(float a, float b) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, b})));
    }

    private FederationRun newRun(int minSites, int minUpdates) {
        GlobalModel initial = GlobalModel.of(0, SPEC, weights(1f, 1f));
        RoundRules rules = new RoundRules(minUpdates, 3_600_000, RoundRules.ShortRound.RETRY, 10.0);
        run = new FederationRun(new FederationPlan("test", minSites, 2, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, rules, true)
                .withSecAggGraph(graphPolicy), initial, null,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), new RoundListener() {
                    @Override
                    public void roundCompleted(RoundResult result, GlobalModel model) {
                        completed.add(result);
                    }

                    @Override
                    public void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
                        refusals.add(kind + ": " + reason);
                    }

                    @Override
                    public void roundShort(int round, int attempt, int updates, int minUpdates, boolean retried) {
                        shortRounds.add(round + "/" + attempt + " " + updates + " of " + minUpdates
                                + (retried ? " retried" : " skipped"));
                    }

                    @Override
                    public void secureAggregationFinished(SecureAggregationAudit audit) {
                        audits.add(audit);
                    }
                });
        run.start();
        return run;
    }

    @BeforeAll
    static void consortium() throws IOException {
        ca = ConsortiumCa.init(pkiDir.resolve("pki"), "test", Duration.ofDays(2));
    }

    private static synchronized RosterAuthentication identity(String site) {
        return IDENTITIES.computeIfAbsent(site, s -> {
            try {
                PartyCredentials c = ca.issueSite(s, Duration.ofDays(1));
                return new RosterAuthentication(PemFiles.readPrivateKey(c.key()), PemFiles.readCertificate(c.cert()),
                        ca.certificate(), Clock.systemUTC());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    @AfterEach
    void close() throws InterruptedException {
        if (run != null) {
            run.close();
        }
    }

    private void joinAll(String... sites) {
        for (int i = 0; i < sites.length; i++) {
            run.join(sites[i], JOIN);
            deltas.put(sites[i], new float[] {0.25f * (i + 1), -0.5f + 0.1f * i});
            bags.put(sites[i], (long) (i + 2));
        }
    }

    /** One site does whatever its next task asks; returns the task's kind. */
    private Task act(String site) throws Exception {
        Task t = run.nextTask(site, NO_WAIT);
        if (t instanceof Task.SecAggAdvertise a) {
            SecAggClient c = new SecAggClient(site, a.parameters(), identity(site), new SecureRandom());
            clients.put(site, c);
            run.secAggAdvertise(site, a.parameters().round(), c.advertise());
        } else if (t instanceof Task.SecAggShare s) {
            run.secAggShare(site, s.round(), clients.get(site).shareKeys(s.roster()));
        } else if (t instanceof Task.SecAggMask m) {
            SecAggClient c = clients.get(site);
            c.receiveShares(m.shares());
            MaskedInput in = c.maskInput(deltas.get(site), bags.get(site));
            run.submit(site, masked(m.train().round(), m.train().model().version(), in,
                    m.parameters().fractionalBits()));
        } else if (t instanceof Task.SecAggConsistency c) {
            run.secAggSignSurvivors(site, c.round(), clients.get(site).signSurvivors(c.request()));
        } else if (t instanceof Task.SecAggUnmask u) {
            run.secAggUnmask(site, u.round(), clients.get(site).unmask(u.request(), u.signatures()));
        }
        return t;
    }

    private static IncomingUpdate masked(int round, long base, MaskedInput in, int fractionalBits) {
        ByteBuffer b = ByteBuffer.allocate(8 * in.masked().length).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(in.masked());
        byte[] bytes = b.array();
        return new IncomingUpdate(round, base, Sha256.of(bytes), in.bags(), 0.5, weights(0, 0).specs(), bytes,
                SignedUpdate.UNSIGNED, DeltaEncoding.FLOAT32, true, fractionalBits);
    }

    private void everyone(Class<? extends Task> expected, String... sites) throws Exception {
        for (String s : sites) {
            assertThat(act(s)).as("%s's task", s).isInstanceOf(expected);
        }
    }

    private float[] expectedModel(String... survivors) {
        double[] sum = new double[2];
        long n = 0;
        for (String s : survivors) {
            for (int i = 0; i < 2; i++) {
                sum[i] += bags.get(s) * (double) deltas.get(s)[i];
            }
            n += bags.get(s);
        }
        return new float[] {(float) (1 + sum[0] / n), (float) (1 + sum[1] / n)};
    }

    /**
     * Within the fixed-point error of the mean (2^-(f+1), f = 52 here) plus the float32 rounding of the mean and of
     * the sum global + mean: the plain FedAvg value up to one ulp.
     */
    private void assertModel(float[] expected) {
        float[] actual = run.currentModel().weights().get("w").values();
        for (int i = 0; i < expected.length; i++) {
            assertThat((double) actual[i]).as("coordinate %d", i)
                    .isCloseTo(expected[i], org.assertj.core.api.Assertions.within(Math.ulp(expected[i]) + 0x1p-53));
        }
    }

    @Test
    void theStepsComeInOrderAndTheModelIsTheBagWeightedMeanOfTheMaskedDeltas() throws Exception {
        newRun(3, 3);
        joinAll("a", "b", "c");
        everyone(Task.SecAggAdvertise.class, "a", "b", "c");
        everyone(Task.SecAggShare.class, "a", "b", "c");
        everyone(Task.SecAggMask.class, "a", "b", "c");
        everyone(Task.SecAggConsistency.class, "a", "b", "c");
        everyone(Task.SecAggUnmask.class, "a", "b", "c");
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertModel(expectedModel("a", "b", "c"));
        assertThat(completed.get(1).sites()).containsExactly("a", "b", "c");
        assertThat(completed.get(1).trainingBags()).isEqualTo(2 + 3 + 4);
        assertThat(run.nextTask("a", NO_WAIT)).as("round 2 starts with fresh keys")
                .isInstanceOfSatisfying(Task.SecAggAdvertise.class, t -> assertThat(t.parameters().round()).isEqualTo(2));
        assertThat(refusals).isEmpty();
    }

    @Test
    void aSiteThatDropsAfterSharingKeysIsUnmaskedByTheOthersWhenTheMaskStepsDeadlinePasses() throws Exception {
        newRun(4, 3);
        joinAll("a", "b", "c", "d");
        everyone(Task.SecAggAdvertise.class, "a", "b", "c", "d");
        everyone(Task.SecAggShare.class, "a", "b", "c", "d");
        everyone(Task.SecAggMask.class, "a", "b", "c"); // d is gone
        assertThat(run.nextTask("a", NO_WAIT)).as("a waits for d until the deadline").isInstanceOf(Task.Wait.class);
        run.secureDeadlinePassed(1, 1, SecureRound.Step.MASK);
        everyone(Task.SecAggConsistency.class, "a", "b", "c");
        everyone(Task.SecAggUnmask.class, "a", "b", "c");
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertModel(expectedModel("a", "b", "c"));
        assertThat(completed.get(1).sites()).containsExactly("a", "b", "c");
        assertThat(shortRounds).isEmpty();
        // the round log's record of it: d declared dropped, and what every survivor revealed about whom
        assertThat(audits).hasSize(1);
        SecureAggregationAudit audit = audits.get(0);
        assertThat(audit.round()).isEqualTo(1);
        assertThat(audit.invited()).isEqualTo(4);
        assertThat(audit.threshold()).isEqualTo(3);
        assertThat(audit.colludersTolerated()).isEqualTo(1); // min(t − 1, 2t − n − 1) = min(2, 1)
        assertThat(audit.survivors()).containsExactly("a", "b", "c");
        assertThat(audit.dropped()).containsExactly("d");
        assertThat(audit.reveals()).extracting(org.fedmil.secagg.UnmaskReveal::site).containsExactly("a", "b", "c");
        for (org.fedmil.secagg.UnmaskReveal r : audit.reveals()) {
            assertThat(r.selfMaskOwners()).containsExactly("a", "b", "c");
            assertThat(r.maskingKeyOwners()).containsExactly("d");
        }
    }

    @Test
    void aboveTheSparseBoundTheRoundRunsSecAggPlusAndItsGraphIsInTheAuditRecordForAnAuditorToRedraw()
            throws Exception {
        graphPolicy = new SecAggGraphPolicy(5, org.fedmil.secagg.GraphDegreeRule.DEFAULT);
        newRun(10, 6);
        String[] sites = {"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"};
        joinAll(sites);
        for (int i = 0; i < sites.length; i++) {
            bags.put(sites[i], 1L + i % 5); // within the 5 bags each site declared at join
        }
        Task first = run.nextTask("a", NO_WAIT);
        assertThat(first).isInstanceOfSatisfying(Task.SecAggAdvertise.class, t -> {
            assertThat(t.parameters().graphDegree()).as("k for 10 sites at γ = δ = 0.05").isEqualTo(8);
            assertThat(t.parameters().threshold()).as("t per neighbourhood of 9").isEqualTo(6);
        });
        SecAggClient first0 = new SecAggClient("a", ((Task.SecAggAdvertise) first).parameters(), identity("a"),
                new SecureRandom());
        clients.put("a", first0);
        run.secAggAdvertise("a", 1, first0.advertise());
        everyone(Task.SecAggAdvertise.class, java.util.Arrays.copyOfRange(sites, 1, 10));
        everyone(Task.SecAggShare.class, sites);
        String[] survivors = java.util.Arrays.stream(sites).filter(s -> !s.equals("d")).toArray(String[]::new);
        everyone(Task.SecAggMask.class, survivors); // d is gone
        run.secureDeadlinePassed(1, 1, SecureRound.Step.MASK);
        everyone(Task.SecAggConsistency.class, survivors);
        everyone(Task.SecAggUnmask.class, survivors);
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(20))).isTrue();
        assertModel(expectedModel(survivors));
        SecureAggregationAudit audit = audits.get(0);
        assertThat(audit.graph().complete()).isFalse();
        assertThat(audit.graph().degree()).isEqualTo(8);
        assertThat(audit.colludersTolerated()).isEqualTo(2); // min(t − 1, 2t − (k + 1) − 1) = min(5, 2)
        org.fedmil.secagg.CommunicationGraph redrawn = org.fedmil.secagg.CommunicationGraph.of(
                new org.fedmil.secagg.SecAggParameters("test", 1, 10, 6, 1, 1, 1.0, 16, 8), audit.graph().roster());
        assertThat(redrawn.digest()).isEqualTo(audit.graph().digest());
        assertThat(redrawn.seedHex()).isEqualTo(audit.graph().seed());
        for (org.fedmil.secagg.UnmaskReveal r : audit.reveals()) {
            assertThat(r.maskingKeyOwners().contains("d")).as("%s holds a share of d's key", r.site())
                    .isEqualTo(redrawn.neighbourhood("d").contains(r.site()));
        }
    }

    @Test
    void fewerThanTSurvivorsAbortTheRoundWithNothingAggregatedAndItRunsAgain() throws Exception {
        newRun(4, 3);
        joinAll("a", "b", "c", "d");
        everyone(Task.SecAggAdvertise.class, "a", "b", "c", "d");
        everyone(Task.SecAggShare.class, "a", "b", "c", "d");
        everyone(Task.SecAggMask.class, "a", "b"); // c and d are gone: 2 < t = 3
        run.secureDeadlinePassed(1, 1, SecureRound.Step.MASK);
        assertThat(shortRounds).containsExactly("1/1 2 of 3 retried");
        assertThat(completed).extracting(RoundResult::round).containsExactly(0);
        assertThat(run.currentModel().version()).isZero();
        assertThat(run.currentModel().weights().get("w").values()).containsExactly(1f, 1f);
        // the retry asks for fresh keys from everyone, and a full second attempt aggregates as usual
        everyone(Task.SecAggAdvertise.class, "a", "b", "c", "d");
        everyone(Task.SecAggShare.class, "a", "b", "c", "d");
        everyone(Task.SecAggMask.class, "a", "b", "c", "d");
        everyone(Task.SecAggConsistency.class, "a", "b", "c", "d");
        everyone(Task.SecAggUnmask.class, "a", "b", "c", "d");
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertModel(expectedModel("a", "b", "c", "d"));
    }

    @Test
    void aSurvivorSilentInTheUnmaskStepIsNotNeededWhileTAnswer() throws Exception {
        newRun(4, 3);
        joinAll("a", "b", "c", "d");
        everyone(Task.SecAggAdvertise.class, "a", "b", "c", "d");
        everyone(Task.SecAggShare.class, "a", "b", "c", "d");
        everyone(Task.SecAggMask.class, "a", "b", "c", "d");
        everyone(Task.SecAggConsistency.class, "a", "b", "c", "d");
        everyone(Task.SecAggUnmask.class, "a", "b", "c"); // d sent its input, then went quiet
        run.secureDeadlinePassed(1, 1, SecureRound.Step.UNMASK);
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertModel(expectedModel("a", "b", "c", "d"));
    }

    @Test
    void aSurvivorSilentInTheConsistencyRoundIsADropoutOfThatStepAndItsInputStillCounts() throws Exception {
        newRun(4, 3);
        joinAll("a", "b", "c", "d");
        everyone(Task.SecAggAdvertise.class, "a", "b", "c", "d");
        everyone(Task.SecAggShare.class, "a", "b", "c", "d");
        everyone(Task.SecAggMask.class, "a", "b", "c", "d");
        everyone(Task.SecAggConsistency.class, "a", "b", "c"); // d sent its input, then went quiet
        assertThat(run.nextTask("a", NO_WAIT)).as("a waits for d's signature until the deadline")
                .isInstanceOf(Task.Wait.class);
        run.secureDeadlinePassed(1, 1, SecureRound.Step.CONSISTENCY);
        assertThat(run.nextTask("d", NO_WAIT)).as("d, which did not sign, is not asked to unmask")
                .isInstanceOf(Task.Wait.class);
        for (String s : List.of("a", "b", "c")) {
            Task t = run.nextTask(s, NO_WAIT);
            assertThat(t).isInstanceOfSatisfying(Task.SecAggUnmask.class, u -> assertThat(u.signatures())
                    .as("the signatures %s checks", s).extracting(org.fedmil.secagg.SurvivorSetSignature::site)
                    .containsExactly("a", "b", "c"));
            run.secAggUnmask(s, 1, clients.get(s).unmask(((Task.SecAggUnmask) t).request(),
                    ((Task.SecAggUnmask) t).signatures()));
        }
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertModel(expectedModel("a", "b", "c", "d"));
        SecureAggregationAudit audit = audits.get(0);
        assertThat(audit.survivors()).containsExactly("a", "b", "c", "d");
        assertThat(audit.survivorSignatures()).extracting(org.fedmil.secagg.SurvivorSetSignature::site)
                .containsExactly("a", "b", "c");
        assertThat(shortRounds).isEmpty();
    }

    @Test
    void tooFewSignaturesWhenTheConsistencyRoundsDeadlinePassesAbortTheRoundWithNothingRevealed() throws Exception {
        newRun(4, 3);
        joinAll("a", "b", "c", "d");
        everyone(Task.SecAggAdvertise.class, "a", "b", "c", "d");
        everyone(Task.SecAggShare.class, "a", "b", "c", "d");
        everyone(Task.SecAggMask.class, "a", "b", "c", "d");
        everyone(Task.SecAggConsistency.class, "a", "b"); // 2 signatures, the quorum is 3
        run.secureDeadlinePassed(1, 1, SecureRound.Step.CONSISTENCY);
        assertThat(shortRounds).containsExactly("1/1 2 of 3 retried");
        assertThat(run.currentModel().version()).isZero();
        assertThat(audits).isEmpty();
        assertThat(run.nextTask("a", NO_WAIT)).as("the retry starts with fresh keys")
                .isInstanceOf(Task.SecAggAdvertise.class);
    }

    @Test
    void aPlainDeltaIsRefusedInASecureRound() throws Exception {
        newRun(3, 3);
        joinAll("a", "b", "c");
        everyone(Task.SecAggAdvertise.class, "a", "b", "c");
        everyone(Task.SecAggShare.class, "a", "b", "c");
        byte[] plain = TensorCodec.encode(weights(0.1f, 0.2f));
        try {
            run.submit("a", new IncomingUpdate(1, 0, Sha256.of(plain), 3, 0.5, weights(0, 0).specs(), plain));
            throw new AssertionError("a plain delta was accepted");
        } catch (FederationException e) {
            assertThat(e.getMessage()).contains("securely aggregated").contains("never a site's plain delta");
        }
    }

    @Test
    void aMaskedUploadAnnouncingAnotherFractionalBitsIsRefusedAndTheRightOneStillCounts() throws Exception {
        newRun(3, 3);
        joinAll("a", "b", "c");
        everyone(Task.SecAggAdvertise.class, "a", "b", "c");
        everyone(Task.SecAggShare.class, "a", "b", "c");
        Task t = run.nextTask("a", NO_WAIT);
        assertThat(t).isInstanceOf(Task.SecAggMask.class);
        Task.SecAggMask m = (Task.SecAggMask) t;
        int f = m.parameters().fractionalBits();
        SecAggClient a = clients.get("a");
        a.receiveShares(m.shares());
        MaskedInput in = a.maskInput(deltas.get("a"), bags.get("a"));
        for (int wrong : new int[] {f - 1, f + 1, 0}) {
            try {
                run.submit("a", masked(1, 0, in, wrong));
                throw new AssertionError("a masked upload announcing fractional_bits " + wrong + " was accepted");
            } catch (FederationException e) {
                assertThat(e.getMessage()).contains("says it was encoded with fractional_bits = " + wrong)
                        .contains("encodes with f = " + f).contains("nothing of it was taken");
            }
        }
        assertThat(refusals).hasSize(3).allSatisfy(r -> assertThat(r).startsWith("BAD_HEADER_VALUES"));
        // the same masked bytes with the round's f are taken, and the round aggregates as if nothing happened
        run.submit("a", masked(1, 0, in, f));
        everyone(Task.SecAggMask.class, "b", "c");
        everyone(Task.SecAggConsistency.class, "a", "b", "c");
        everyone(Task.SecAggUnmask.class, "a", "b", "c");
        assertThat(run.awaitModelVersion(1, Duration.ofSeconds(10))).isTrue();
        assertModel(expectedModel("a", "b", "c"));
    }

    @Test
    void aRoundNoFixedPointCanHoldStopsTheFederationNamingTheBounds() throws Exception {
        GlobalModel initial = GlobalModel.of(0, SPEC, weights(1f, 1f));
        // a norm bound of 1e30 leaves no room for 16 fractional bits in 64 bits
        RoundRules rules = new RoundRules(3, 3_600_000, RoundRules.ShortRound.RETRY, 1e30);
        run = new FederationRun(new FederationPlan("test", 3, 2, SPEC,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), true, rules, true), initial, null,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), new RoundListener() {
                });
        run.start();
        joinAll("a", "b", "c");
        assertThat(run.awaitFinished(Duration.ofSeconds(10))).isTrue();
        assertThat(run.nextTask("a", NO_WAIT)).isInstanceOfSatisfying(Task.Stop.class, t ->
                assertThat(t.reason()).contains("round 1 cannot be securely aggregated")
                        .contains("coordinate bound B=1.0E30").contains("lower the clip norm"));
        assertThat(run.currentModel().version()).isZero();
    }
}
