package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.round.FederationRun.Phase;
import org.fedmil.coordinator.state.StateStore;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A round aggregated in the clear serves its new model and opens the next round before the model is saved and
 * evaluated; its record follows. These tests stop a real run with a real state folder in each window between the two
 * (a save or a record held back), take the folder as a crash would leave it (every file is written by rename, so a
 * copy taken then is what a restart finds), and resume from it: the restart always finds a consistent federation,
 * runs the unrecorded round again from the last recorded model, and counts no update twice. A failed background save
 * stops the federation with the reason; the next round cannot close, be skipped or end the run before the round
 * before it is recorded.
 */
class RoundRecordCrashWindowsTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final SiteJoin JOIN = new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L));
    private static final GlobalModel V0 = GlobalModel.of(0, SPEC, weights(1f, 1f));
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    private final List<FederationRun> runs = new ArrayList<>();
    /** Holds back saving model v1 of the first run until counted down. */
    private final CountDownLatch saveMayGo = new CountDownLatch(1);
    /** Holds back recording round 1 of the first run until counted down. */
    private final CountDownLatch recordMayGo = new CountDownLatch(1);
    private final CountDownLatch recordEntered = new CountDownLatch(1);
    private volatile boolean holdSave;
    private volatile boolean holdRecord;
    private volatile RuntimeException saveFailure;

    @AfterEach
    void close() throws InterruptedException {
        saveMayGo.countDown();
        recordMayGo.countDown();
        for (FederationRun run : runs) {
            run.close();
        }
    }

    private static TensorSet weights(float a, float b) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, b})));
    }

    private static IncomingUpdate update(int round, long base, float a, float b) {
        byte[] bytes = TensorCodec.encode(weights(a, b));
        return new IncomingUpdate(round, base, Sha256.of(bytes), 2, 0.5, weights(a, b).specs(), bytes);
    }

    private static FederationPlan plan(int rounds, RoundRules rules) {
        return new FederationPlan("test", 2, rounds, SPEC, new FederationPlan.TrainingPlan(1, 0.01, 0, 7,
                LossConfig.DEFAULT), false, rules);
    }

    /** A run whose listener does what the coordinator's does with its state folder, with the holds above. */
    private FederationRun newRun(Path dir, FederationPlan plan, Resume resume, boolean holds) {
        StateStore store = new StateStore(dir);
        store.saveFederation(plan);
        FederationRun run = new FederationRun(plan, V0, resume, w -> BinaryMetrics.of(new int[] {0, 1},
                new float[] {0.2f, 0.8f}), new FedAvg(), new RoundListener() {
                    @Override
                    public void saveModel(GlobalModel model) {
                        if (holds && model.version() == 1) {
                            if (holdSave) {
                                await(saveMayGo);
                            }
                            if (saveFailure != null) {
                                throw saveFailure;
                            }
                        }
                        store.saveModel(model);
                    }

                    @Override
                    public void roundCompleted(RoundResult result, GlobalModel model) {
                        if (holds && holdRecord && result.round() == 1) {
                            recordEntered.countDown();
                            await(recordMayGo);
                        }
                        store.saveRound(result);
                    }

                    @Override
                    public void stateChanged(RunState state) {
                        store.saveState(state);
                    }
                });
        runs.add(run);
        run.start();
        return run;
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(60, TimeUnit.SECONDS)).as("the test's latch was released").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** What a crash now would leave: the folder's files as they are (each complete, or a temporary file). */
    private Path crashCopy(Path dir) throws IOException {
        Path copy = Files.createTempDirectory(tmp, "after-crash");
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path f : files.toList()) {
                Path to = copy.resolve(dir.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(to);
                } else {
                    Files.copy(f, to);
                }
            }
        }
        return copy;
    }

    private static Resume resumeFrom(Path dir) {
        return new StateStore(dir).resume("test", SPEC, V0.specs()).orElseThrow();
    }

    private static List<Integer> recordedRounds(Path dir) {
        return new StateStore(dir).rounds().stream().map(RoundResult::round).toList();
    }

    @Test
    void aCrashWhileTheNextRoundRunsAndTheNewModelIsNotYetSavedResumesFromThePreviousModel() throws Exception {
        Path dir = tmp.resolve("state");
        holdSave = true;
        FederationRun run = newRun(dir, plan(3, RoundRules.waitForAll(2)), null, true);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, 1f, 0f));
        run.submit("b", update(1, 0, 3f, 0f));

        // model v1 is served and round 2 runs while v1's save is held back
        assertThat(run.awaitModelServed(1, WAIT)).isTrue();
        assertThat(run.awaitModelVersion(1, Duration.ofMillis(200))).as("v1's round is not recorded").isFalse();
        assertThat(run.model(1).version()).isEqualTo(1);
        assertThat(run.nextTask("a", Duration.ZERO)).isInstanceOfSatisfying(Task.Train.class,
                t -> assertThat(t.round()).isEqualTo(2));
        assertThat(run.submit("a", update(2, 1, 1f, 1f)).updatesReceived()).isEqualTo(1);
        assertThat(recordedRounds(dir)).containsExactly(0);

        Resume resume = resumeFrom(crashCopy(dir));
        assertThat(resume.completed()).extracting(RoundResult::round).containsExactly(0);
        assertThat(resume.nextRound()).as("the unrecorded round runs again").isEqualTo(1);
        assertThat(resume.model().version()).isZero();
        assertThat(resume.model().sha256()).isEqualTo(V0.sha256());

        // once saved, the rounds are recorded in order, each once, each naming the file on disk
        saveMayGo.countDown();
        run.submit("b", update(2, 1, 1f, 1f));
        assertThat(run.awaitModelVersion(2, WAIT)).isTrue();
        waitForRecorded(dir, 2);
        assertThat(recordedRounds(dir)).containsExactly(0, 1, 2);
        assertThat(resumeFrom(crashCopy(dir)).model().weights().tensors().get(0).values())
                .containsExactly(4f, 2f); // w[0]: 1 + mean(1, 3) + 1; w[1]: 1 + 0 + 1
    }

    @Test
    void aCrashAfterTheModelIsSavedButBeforeItsRecordRunsTheRoundAgainAndCountsItOnce() throws Exception {
        Path dir = tmp.resolve("state");
        holdRecord = true;
        FederationRun run = newRun(dir, plan(2, RoundRules.waitForAll(2)), null, true);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, 1f, 0f));
        run.submit("b", update(1, 0, 3f, 0f));
        assertThat(recordEntered.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(dir.resolve("models/model-v0001.bin")).exists();

        Path after = crashCopy(dir);
        Resume resume = resumeFrom(after);
        assertThat(resume.completed()).extracting(RoundResult::round).containsExactly(0);
        assertThat(resume.nextRound()).isEqualTo(1);
        assertThat(resume.model().version()).isZero();

        // the restarted coordinator runs round 1 again; the sites' new updates make a different v1, which replaces
        // the file of the v1 that was never recorded, and round 1 is recorded once with the new file's hash
        FederationRun again = newRun(after, plan(2, RoundRules.waitForAll(2)), resume, false);
        again.join("a", JOIN);
        again.join("b", JOIN);
        again.submit("a", update(1, 0, 0f, 2f));
        again.submit("b", update(1, 0, 0f, 2f));
        assertThat(again.awaitModelVersion(1, WAIT)).isTrue();
        waitForRecorded(after, 1);
        assertThat(recordedRounds(after)).containsExactly(0, 1);
        Resume later = resumeFrom(crashCopy(after)); // checks the file against metrics.json's hash
        assertThat(later.model().weights().tensors().get(0).values()).containsExactly(1f, 3f);
        assertThat(later.nextRound()).isEqualTo(2);
    }

    @Test
    void aFailedBackgroundSaveStopsTheFederationWithTheReasonAndRecordsNothingOfTheRound() throws Exception {
        Path dir = tmp.resolve("state");
        saveFailure = new UncheckedIOException("cannot write global model version 1: No space left on device",
                new IOException("No space left on device"));
        FederationRun run = newRun(dir, plan(3, RoundRules.waitForAll(2)), null, true);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, 1f, 0f));
        run.submit("b", update(1, 0, 3f, 0f));

        assertThat(run.awaitFinished(WAIT)).isTrue();
        assertThat(run.view().finishReason()).contains("round 1 failed").contains("could not be saved")
                .contains("No space left on device");
        assertThat(recordedRounds(dir)).containsExactly(0);
        assertThat(run.history()).extracting(RoundResult::round).containsExactly(0);
        // round 2, opened from the unsaved model, takes no update any more
        assertThatThrownBy(() -> run.submit("a", update(2, 1, 1f, 1f))).isInstanceOf(FederationException.class);
        Resume resume = resumeFrom(crashCopy(dir));
        assertThat(resume.finished()).isTrue();
        assertThat(resume.completed()).extracting(RoundResult::round).containsExactly(0);
    }

    @Test
    void theNextRoundDoesNotCloseBeforeThePreviousModelIsDurable() throws Exception {
        Path dir = tmp.resolve("state");
        holdSave = true;
        FederationRun run = newRun(dir, plan(2, RoundRules.waitForAll(2)), null, true);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, 1f, 0f));
        run.submit("b", update(1, 0, 3f, 0f));
        assertThat(run.awaitModelServed(1, WAIT)).isTrue();
        run.submit("a", update(2, 1, 1f, 1f));
        run.submit("b", update(2, 1, 1f, 1f));

        // every update of round 2 is in, but round 1's model is not on disk: round 2 is not aggregated
        assertThat(run.awaitModelServed(2, Duration.ofMillis(500))).isFalse();
        assertThat(run.phase()).isEqualTo(Phase.AGGREGATING);
        assertThat(recordedRounds(dir)).containsExactly(0);

        saveMayGo.countDown();
        assertThat(run.awaitFinished(WAIT)).isTrue();
        assertThat(recordedRounds(dir)).containsExactly(0, 1, 2);
        assertThat(run.history()).extracting(RoundResult::round).containsExactly(0, 1, 2);
    }

    @Test
    void aDeadlineThatSkipsTheNextRoundWaitsForThePreviousRoundsRecord() throws Exception {
        Path dir = tmp.resolve("state");
        holdSave = true;
        FederationRun run = newRun(dir, plan(3, new RoundRules(2, 3_600_000, RoundRules.ShortRound.SKIP, 10.0)),
                null, true);
        run.join("a", JOIN);
        run.join("b", JOIN);
        run.submit("a", update(1, 0, 1f, 0f));
        run.submit("b", update(1, 0, 3f, 0f));
        assertThat(run.awaitModelServed(1, WAIT)).isTrue();
        run.submit("a", update(2, 1, 1f, 1f));

        Thread deadline = new Thread(() -> run.deadlinePassed(2, 1), "test-deadline");
        deadline.start();
        deadline.join(500);
        assertThat(deadline.isAlive()).as("the skip waits for round 1's record").isTrue();
        assertThat(run.skippedRounds()).isEmpty();
        Resume meanwhile = resumeFrom(crashCopy(dir));
        assertThat(meanwhile.skipped()).isEmpty();
        assertThat(meanwhile.nextRound()).isEqualTo(1);

        saveMayGo.countDown();
        deadline.join(30_000);
        assertThat(deadline.isAlive()).isFalse();
        assertThat(run.skippedRounds()).containsExactly(2);
        assertThat(recordedRounds(dir)).containsExactly(0, 1);
        Resume after = resumeFrom(crashCopy(dir));
        assertThat(after.skipped()).containsExactly(2);
        assertThat(after.nextRound()).isEqualTo(3);
        assertThat(after.model().version()).isEqualTo(1);
    }

    private static void waitForRecorded(Path dir, int round) throws InterruptedException {
        long until = System.nanoTime() + WAIT.toNanos();
        while (!recordedRounds(dir).contains(round) && System.nanoTime() < until) {
            Thread.sleep(20);
        }
    }
}
