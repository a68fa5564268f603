package org.fedmil.coordinator.admin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the state folder's {@link OfflineRevocations} file while the coordinator runs: polled every few
 * seconds (a poll needs no network and no free handler thread, which is the point on a host too loaded for
 * {@code fedmil admin revoke}); each time the file changes and its signature checks, every site it lists is
 * revoked through {@link AdminControl#revoke}, exactly as the admin command would (recorded in the list, in the
 * round log, the site leaves the open round). Revoking an already revoked site changes nothing.
 */
public final class OfflineRevocationWatcher implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(OfflineRevocationWatcher.class);
    static final String BY = "offline revocation file";

    private final Path file;
    private final PublicKey ca;
    private final AdminControl admin;
    private final ScheduledExecutorService poller = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "offline-revocations");
        t.setDaemon(true);
        return t;
    });
    private String seen = "";

    public OfflineRevocationWatcher(Path stateDir, PublicKey ca, AdminControl admin) {
        this.file = stateDir.resolve(OfflineRevocations.FILE);
        this.ca = ca;
        this.admin = admin;
    }

    /** Polls now and then every {@code every}. */
    public OfflineRevocationWatcher start(Duration every) {
        poller.scheduleWithFixedDelay(this::poll, 0, every.toMillis(), TimeUnit.MILLISECONDS);
        return this;
    }

    /** One look at the file; package-private so tests can poll without waiting. */
    synchronized void poll() {
        try {
            if (!Files.exists(file)) {
                return;
            }
            FileTime modified = Files.getLastModifiedTime(file);
            String version = modified.toMillis() + "/" + Files.size(file);
            if (Objects.equals(version, seen)) {
                return;
            }
            seen = version;
            for (OfflineRevocations.Entry e : OfflineRevocations.read(file, ca)) {
                try {
                    AdminControl.Status s = admin.revoke(e.site(), e.reason(), BY);
                    log.info("offline revocation of site '{}': {}", e.site(), s.message());
                } catch (RuntimeException refused) {
                    log.error("offline revocation of site '{}' in {} not applied: {}", e.site(), file,
                            refused.getMessage());
                }
            }
        } catch (IOException | RuntimeException e) {
            log.error("the offline revocation file {} was not applied: {}", file, e.getMessage());
        }
    }

    @Override
    public void close() {
        poller.shutdownNow();
    }
}
