package org.fedmil.coordinator.round;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;

/**
 * Where the event thread publishes each new {@link RunView}, and where readers wait for one that satisfies them.
 * Publishing never waits on a reader.
 */
final class PublishedView {

    private final AtomicReference<RunView> current;
    private final Object changed = new Object();
    /** Told after every publication, on the event thread; they must only take note. */
    private final List<Runnable> hooks = new CopyOnWriteArrayList<>();

    PublishedView(RunView first) {
        current = new AtomicReference<>(first);
    }

    RunView get() {
        return current.get();
    }

    void publish(RunView view) {
        current.set(view);
        synchronized (changed) {
            changed.notifyAll();
        }
        for (Runnable hook : hooks) {
            hook.run();
        }
    }

    void onChange(Runnable hook) {
        hooks.add(hook);
    }

    /** Waits until a view newer than {@code seq} is published, or {@code nanos} pass. */
    void awaitNewerThan(long seq, long nanos) throws InterruptedException {
        await(v -> v.seq() > seq, nanos);
    }

    boolean await(Predicate<RunView> done, Duration timeout) throws InterruptedException {
        return await(done, timeout.toNanos());
    }

    private boolean await(Predicate<RunView> done, long nanos) throws InterruptedException {
        long deadline = System.nanoTime() + nanos;
        synchronized (changed) {
            while (!done.test(current.get())) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                long millis = Math.max(1, left / 1_000_000);
                changed.wait(millis);
            }
            return true;
        }
    }
}
