package org.fedmil.coordinator.round;

import io.grpc.Status;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread a federation's state lives on. Request threads hand it their event and wait for its answer; the
 * deadline timer only hands it events. Because nothing else touches the round state, it needs no lock, and every
 * listener callback comes from this thread in the order the events happened.
 */
final class EventLoop implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EventLoop.class);

    private volatile Thread thread;
    private final ExecutorService events = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "round-events");
        t.setDaemon(true);
        thread = t;
        return t;
    });
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "round-deadline");
        t.setDaemon(true);
        return t;
    });

    /** Runs {@code event} on the event thread and returns its answer (at once when already on it). */
    <T> T ask(Callable<T> event) {
        if (Thread.currentThread() == thread) {
            return call(event);
        }
        Future<T> answer;
        try {
            answer = events.submit(() -> call(event));
        } catch (RejectedExecutionException closed) {
            throw new FederationException(Status.Code.UNAVAILABLE, "the coordinator is shutting down; "
                    + "try again when it is back");
        }
        // waited for without giving up on an interrupt, as a lock would be: the event runs anyway, and its caller
        // must learn what it did (an accepted update, a site that left)
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return answer.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            throw new IllegalStateException(e.getCause());
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void ask(Runnable event) {
        ask(() -> {
            event.run();
            return null;
        });
    }

    /** Queues {@code event} without waiting; dropped when the loop is closed. */
    void post(Runnable event) {
        try {
            events.execute(() -> {
                try {
                    event.run();
                } catch (RuntimeException e) {
                    log.error("a round event failed", e);
                }
            });
        } catch (RejectedExecutionException closed) {
            log.debug("round event dropped: the run is closed");
        }
    }

    /** Queues {@code event} once {@code millis} have passed. */
    void postAfter(long millis, Runnable event) {
        try {
            timer.schedule(() -> post(event), millis, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException closed) {
            log.debug("deadline dropped: the run is closed");
        }
    }

    private static <T> T call(Callable<T> event) {
        try {
            return event.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() throws InterruptedException {
        timer.shutdownNow();
        events.shutdown();
        if (!events.awaitTermination(30, TimeUnit.SECONDS)) {
            events.shutdownNow();
        }
    }
}
