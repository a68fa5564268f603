package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.proto.v1.LeaveRequest;
import org.fedmil.proto.v1.NextTaskRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * What one site can add to the signed round log and the state folder is bounded: a repeated join writes nothing,
 * a changed declaration is recorded once per round, every string it sends has a maximum length and character set,
 * bag counts are for labels 0 and 1 only, and writing calls beyond a per-site rate are refused without a record.
 */
@Timeout(60)
class BoundedGrowthTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;

    @AfterEach
    void stop() throws Exception {
        coordinator.close();
    }

    private InProcessCoordinator start(CoordinatorConfig.Limits limits) throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults().limits(limits))
                .join("site-a", "site-b");
        // round 1 opens on the run's thread after the second join returned
        await().atMost(Duration.ofSeconds(10)).until(() -> coordinator.roundLogLines().stream()
                .anyMatch(l -> l.contains("\"round_started\"")));
        return coordinator.awaitQuiet(200);
    }

    private InProcessCoordinator start() throws Exception {
        return start(new CoordinatorConfig.Limits(null, null, null));
    }

    /** The join InProcessCoordinator.join makes. */
    private static JoinRequest.Builder join() {
        return JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(3))
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(2));
    }

    private StatusRuntimeException refusedJoin(JoinRequest.Builder request) {
        return catchThrowableOfType(() -> coordinator.blockingAs("site-a").join(request.build()),
                StatusRuntimeException.class);
    }

    @Test
    void aJoinedSiteJoiningAgainAsItDeclaredWritesNothingNew() throws Exception {
        start();
        List<String> log = coordinator.roundLogLines();
        String state = coordinator.stateJson();

        for (int i = 0; i < 100; i++) {
            assertThat(coordinator.blockingAs("site-a").join(join().build()).getSiteId()).isEqualTo("site-a");
        }

        assertThat(coordinator.roundLogLines()).isEqualTo(log);
        assertThat(coordinator.stateJson()).isEqualTo(state);
    }

    @Test
    void aChangedDeclarationIsRecordedOncePerRoundAndASecondChangeIsRefused() throws Exception {
        start();
        int before = coordinator.roundLogLines().size();

        coordinator.blockingAs("site-a").join(join().setSoftwareVersion("test-2").build());
        StatusRuntimeException e = refusedJoin(join().setSoftwareVersion("test-3"));

        assertThat(coordinator.roundLogLines()).hasSize(before + 1);
        assertThat(coordinator.roundLogLines().get(before)).contains("\"software_version\":\"test-2\"");
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(e.getStatus().getDescription()).contains("site 'site-a' already changed what it declared at "
                + "join in round 1; a joined site may change its declaration once per round");
    }

    @Test
    void aSoftwareVersionOfHundredsOfKilobytesIsRefusedAndWritesNothing() throws Exception {
        start();
        List<String> log = coordinator.roundLogLines();

        StatusRuntimeException e = refusedJoin(join().setSoftwareVersion("v".repeat(300_000)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).startsWith("software_version 'vvvv").contains("(300000 characters)"
                + "' is not at most 128 printable ASCII characters");
        assertThat(e.getStatus().getDescription().length()).isLessThan(400);
        assertThat(coordinator.roundLogLines()).isEqualTo(log);
    }

    @Test
    void aDeviceWithAControlCharacterIsRefused() throws Exception {
        start();
        StatusRuntimeException e = refusedJoin(join().setDevice("cpu()\u001b[2J"));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).startsWith("device 'cpu()\\u001b[2J' is not");
    }

    @Test
    void bagCountsForLabelsOtherThanZeroAndOneAreRefused() throws Exception {
        start();
        StatusRuntimeException e = refusedJoin(join().addBagsPerLabel(LabelCount.newBuilder().setLabel(7)
                .setBags(Long.MAX_VALUE)));

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(e.getStatus().getDescription()).contains("bags_per_label names label 7; bags are labelled 0");
    }

    @Test
    void bagCountsThatWouldOverflowTheTotalAreRefused() throws Exception {
        start();
        StatusRuntimeException huge = refusedJoin(JoinRequest.newBuilder().setSoftwareVersion("test")
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(Long.MAX_VALUE))
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(Long.MAX_VALUE)));
        StatusRuntimeException twice = refusedJoin(join().addBagsPerLabel(LabelCount.newBuilder().setLabel(1)
                .setBags(4)));
        StatusRuntimeException negative = refusedJoin(JoinRequest.newBuilder().setSoftwareVersion("test")
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(-1)));

        assertThat(huge.getStatus().getDescription()).contains("declares " + Long.MAX_VALUE + " bags of label 0; a "
                + "count is between 0 and 1000000000");
        assertThat(twice.getStatus().getDescription()).contains("names label 1 twice");
        assertThat(negative.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    }

    @Test
    void aLeaveReasonLongerThan500CharactersIsRefused() throws Exception {
        start();
        StatusRuntimeException e = catchThrowableOfType(() -> coordinator.blockingAs("site-a")
                .leave(LeaveRequest.newBuilder().setReason("x".repeat(501)).build()), StatusRuntimeException.class);

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(coordinator.run.isJoined("site-a")).isTrue();
    }

    @Test
    void aLeaveReasonFromAnAgentThatDidNotRedactItsPathsIsRecordedWithoutThem() throws Exception {
        start();
        coordinator.blockingAs("site-a").leave(LeaveRequest.newBuilder()
                .setReason("cannot read /srv/hospital-x/pathology/slides/case-17.svs: permission denied").build());

        String left = coordinator.roundLogLines().stream().filter(l -> l.contains("site_left")).findFirst()
                .orElseThrow();
        assertThat(left).contains("cannot read <local path>: permission denied").doesNotContain("hospital-x");
    }

    @Test
    void writingCallsBeyondTheSitesBurstAreRefusedWithoutARecordAndReadsAreNotCounted() throws Exception {
        start(new CoordinatorConfig.Limits(null, null, null, null, 1.0, 3));
        // the join in start() took one token
        coordinator.blockingAs("site-a").join(join().build());
        coordinator.blockingAs("site-a").join(join().build());
        List<String> log = coordinator.roundLogLines();

        StatusRuntimeException e = refusedJoin(join());
        for (int i = 0; i < 10; i++) {
            coordinator.blockingAs("site-a").nextTask(NextTaskRequest.newBuilder().setMaxWaitMs(0).build());
        }

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(e.getStatus().getDescription()).contains("site 'site-a' made more than 3 writing calls at once "
                + "or 1.0 per second (limits.write_call_burst, limits.write_calls_per_second); Join was not run");
        assertThat(coordinator.roundLogLines()).isEqualTo(log);
        assertThat(coordinator.refusals).isEmpty();
        // another site has its own bucket, and the site's refills
        coordinator.blockingAs("site-b").join(join().build());
        Thread.sleep(1_100);
        coordinator.blockingAs("site-a").join(join().build());
    }
}
