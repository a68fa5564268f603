package org.fedmil.site.agent;

import io.grpc.Context;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Gives up a streaming call when nothing has arrived on it for a while, instead of when a fixed time has passed: a
 * large transfer over a slow link runs as long as it keeps moving, a stalled one still ends. Calls made inside
 * {@link #context()} are cancelled when it fires.
 */
final class IdleDeadline implements AutoCloseable {

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "fedmil-idle-deadline");
        t.setDaemon(true);
        return t;
    });

    private final Context.CancellableContext context = Context.current().withCancellation();
    private final long idleNanos;
    private final ScheduledFuture<?> check;
    private volatile long lastProgress = System.nanoTime();
    private volatile boolean fired;

    IdleDeadline(Duration idle) {
        idleNanos = idle.toNanos();
        long period = Math.max(50, idle.toMillis() / 4);
        check = TIMER.scheduleAtFixedRate(this::check, period, period, TimeUnit.MILLISECONDS);
    }

    Context.CancellableContext context() {
        return context;
    }

    /** Something arrived: the idle time starts again. */
    void progressed() {
        lastProgress = System.nanoTime();
    }

    /** Whether the call was given up for idleness (rather than failing on its own). */
    boolean fired() {
        return fired;
    }

    private void check() {
        if (System.nanoTime() - lastProgress > idleNanos) {
            fired = true;
            context.cancel(null);
        }
    }

    @Override
    public void close() {
        check.cancel(false);
        context.cancel(null);
    }
}
