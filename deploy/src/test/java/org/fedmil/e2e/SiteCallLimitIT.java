package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.Task;
import org.fedmil.site.agent.CoordinatorClient;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** limits.max_concurrent_calls_per_site, against a real coordinator over mutual TLS. */
class SiteCallLimitIT {

    @Test
    void aSiteWithTheMaximumOfCallsOpenIsRefusedAnotherUntilOneEnds(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 1, 30, 40,
                c -> TestFederation.withRules(c, 0, 2, "retry", new CoordinatorConfig.Limits(null, null, 2)));
             CoordinatorClient site1 = new CoordinatorClient("localhost", fed.coordinator.port(),
                     TestFederation.tls(fed.site("site-1")));
             CoordinatorClient site2 = new CoordinatorClient("localhost", fed.coordinator.port(),
                     TestFederation.tls(fed.site("site-2")))) {
            JoinRequest join = JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(0).setBags(100))
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(1).setBags(100)).build();
            site1.join(join);
            // one of two sites joined: the coordinator holds site-1's long polls for up to 3 s each
            CompletableFuture<Task> poll1 = CompletableFuture.supplyAsync(() -> site1.nextTask(3_000));
            CompletableFuture<Task> poll2 = CompletableFuture.supplyAsync(() -> site1.nextTask(3_000));
            // the two polls reach the coordinator on their own time: a third call is refused once both are held
            StatusRuntimeException third = await("a third call refused while both polls are held")
                    .atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
                    .until(() -> catchThrowableOfType(StatusRuntimeException.class, () -> site1.nextTask(0)),
                            Objects::nonNull);
            assertThat(poll1).isNotDone();
            assertThat(poll2).isNotDone();
            assertThat(third.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
            assertThat(third.getStatus().getDescription()).contains("site 'site-1' already has 2 calls open")
                    .contains("limits.max_concurrent_calls_per_site");
            assertThat(site2.join(join).getSiteId()).as("another site is not held back").isEqualTo("site-2");

            assertThat(poll1.get(10, TimeUnit.SECONDS).hasTrain()).as("held polls answered by round 1").isTrue();
            assertThat(poll2.get(10, TimeUnit.SECONDS).hasTrain()).isTrue();
            assertThat(site1.nextTask(0).hasTrain()).as("a slot is free again once the calls ended").isTrue();
        }
    }

    @Test
    void aCallStartedAsSoonAsTheLastOneAnsweredIsNotCountedAgainstTheLastOne(@TempDir Path dir) throws Exception {
        try (TestFederation fed = new TestFederation(dir, 2, 1, 30, 40,
                c -> TestFederation.withRules(c, 0, 2, "retry", new CoordinatorConfig.Limits(null, null, 2)));
             CoordinatorClient site1 = new CoordinatorClient("localhost", fed.coordinator.port(),
                     TestFederation.tls(fed.site("site-1")))) {
            site1.join(JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(0).setBags(100))
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(1).setBags(100)).build());
            // a long poll holds one of the site's two slots (one of two sites joined: no round starts)
            CompletableFuture<Task> held = CompletableFuture.supplyAsync(() -> site1.nextTask(20_000));
            // not a wait for a condition the test can see (the coordinator does not show a site's open calls and
            // one held call is under the limit of 2): it lets the held poll start before the calls below
            Thread.sleep(500);
            assertThat(held).isNotDone();
            // then calls one at a time through the other slot, each started the moment the one before answered
            // (a poll with no wait answers WAIT at once): none may find its predecessor still counted
            for (int i = 0; i < 300; i++) {
                assertThat(site1.nextTask(0).hasWait()).as("call %d", i).isTrue();
            }
        }
    }
}
