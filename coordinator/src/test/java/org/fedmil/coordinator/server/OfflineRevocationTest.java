package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.fedmil.coordinator.admin.OfflineRevocationWatcher;
import org.fedmil.coordinator.admin.OfflineRevocations;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.NextTaskRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator revokes a site without the network: a revocation file signed with the consortium CA's key,
 * written into the state folder, is applied by the running coordinator as `fedmil admin revoke` would be; a file
 * signed by anyone else is not.
 */
@Timeout(60)
class OfflineRevocationTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;
    private Path stateDir;
    private OfflineRevocationWatcher watcher;

    @BeforeEach
    void start() throws Exception {
        coordinator = new InProcessCoordinator(dir.resolve("coordinator"), InProcessCoordinator.Settings.defaults())
                .join("site-a", "site-b");
        stateDir = Files.createDirectories(dir.resolve("state"));
        watcher = new OfflineRevocationWatcher(stateDir, coordinator.ca().certificate().getPublicKey(),
                coordinator.adminControl).start(Duration.ofMillis(100));
    }

    @AfterEach
    void stop() throws Exception {
        watcher.close();
        coordinator.close();
    }

    @Test
    void aSiteInTheCaSignedFileIsRevokedWhileTheCoordinatorRuns() throws Exception {
        OfflineRevocations.write(stateDir, List.of(new OfflineRevocations.Entry("site-b", "key stolen",
                "2026-12-07T15:00:00Z")), PemFiles.readPrivateKey(coordinator.ca().layout().caKey()));

        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> coordinator.revocations.isRevoked("site-b") && !coordinator.run.isJoined("site-b"));

        StatusRuntimeException e = catchThrowableOfType(() -> coordinator.blockingAs("site-b")
                .nextTask(NextTaskRequest.newBuilder().build()), StatusRuntimeException.class);
        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(coordinator.roundLogLines()).anySatisfy(l -> assertThat(l).contains("\"type\":\"site_revoked\"")
                .contains("\"by\":\"offline revocation file\"").contains("\"reason\":\"key stolen\""));
        assertThat(coordinator.revocations.isRevoked("site-a")).isFalse();
    }

    @Test
    void aFileSignedByAnotherCaIsIgnored() throws Exception {
        ConsortiumCa other = ConsortiumCa.init(dir.resolve("other-pki"), "other", Duration.ofDays(2));
        OfflineRevocations.write(stateDir, List.of(new OfflineRevocations.Entry("site-b", "forged",
                "2026-12-07T15:00:00Z")), PemFiles.readPrivateKey(other.layout().caKey()));

        Thread.sleep(1_000);

        assertThat(coordinator.revocations.isRevoked("site-b")).isFalse();
        assertThat(coordinator.run.isJoined("site-b")).isTrue();
    }

    @Test
    void aFileEditedAfterItWasSignedIsIgnored() throws Exception {
        OfflineRevocations.write(stateDir, List.of(new OfflineRevocations.Entry("site-a", "audit",
                "2026-12-07T15:00:00Z")), PemFiles.readPrivateKey(coordinator.ca().layout().caKey()));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> coordinator.revocations.isRevoked("site-a"));
        Path file = stateDir.resolve(OfflineRevocations.FILE);
        Files.writeString(file, Files.readString(file).replace("site-a", "site-b"));

        Thread.sleep(1_000);

        assertThat(coordinator.revocations.isRevoked("site-b")).isFalse();
    }
}
