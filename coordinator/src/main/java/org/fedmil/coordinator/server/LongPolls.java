package org.fedmil.coordinator.server;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.fedmil.coordinator.round.FederationException;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.Task;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * NextTask long polls held without a thread each. A poll that would wait is parked here with its response
 * observer; one dispatcher thread decides every parked poll again when the run changes (and when the earliest hold
 * expires) and answers those that now have work or whose hold is over. Holding the poll on a gRPC executor thread,
 * as before, cost the coordinator one thread per connected site (measured: 1.02 threads per site at 500 sites).
 * Wake-ups are coalesced: many changes in a burst cost one pass over the parked polls.
 */
final class LongPolls implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LongPolls.class);

    /** One held poll: answered once, by whoever removes it from {@link #parked} first. */
    private record Parked(String site, StreamObserver<org.fedmil.proto.v1.Task> response, long deadlineNanos) {
    }

    private final FederationRun run;
    private final Function<Task, org.fedmil.proto.v1.Task> toProto;
    private final Set<Parked> parked = ConcurrentHashMap.newKeySet();
    private final Semaphore wake = new Semaphore(0);
    private final Thread dispatcher;
    private volatile boolean closed;

    LongPolls(FederationRun run, Function<Task, org.fedmil.proto.v1.Task> toProto) {
        this.run = run;
        this.toProto = toProto;
        run.onChange(wake::release);
        this.dispatcher = new Thread(this::dispatch, "long-polls");
        dispatcher.setDaemon(true);
        dispatcher.start();
    }

    /** Answers now if there is work (or no hold), otherwise parks the poll for up to {@code hold}. */
    void poll(String site, Duration hold, StreamObserver<org.fedmil.proto.v1.Task> response) {
        Task now;
        try {
            now = run.nextTask(site, Duration.ZERO);
        } catch (FederationException e) {
            response.onError(e.toStatus());
            return;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            response.onError(Status.UNAVAILABLE.withDescription("coordinator is shutting down").asRuntimeException());
            return;
        }
        if (!(now instanceof Task.Wait) || hold.isZero() || closed) {
            answer(response, now);
            return;
        }
        Parked p = new Parked(site, response, System.nanoTime() + hold.toNanos());
        if (response instanceof ServerCallStreamObserver<?> call) {
            // a site that hangs up (or dies) while held leaves nothing behind
            call.setOnCancelHandler(() -> parked.remove(p));
        }
        parked.add(p);
        // a change between the decision above and parking would otherwise be missed until the hold ends
        wake.release();
    }

    private void dispatch() {
        while (!closed) {
            try {
                long next = Long.MAX_VALUE;
                long now = System.nanoTime();
                for (Parked p : parked) {
                    next = Math.min(next, p.deadlineNanos());
                }
                long waitNanos = next == Long.MAX_VALUE ? TimeUnit.SECONDS.toNanos(1) : Math.max(0, next - now);
                if (wake.tryAcquire(waitNanos, TimeUnit.NANOSECONDS)) {
                    wake.drainPermits();
                }
                pass();
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("long-poll dispatcher: unexpected error; continuing", e);
            }
        }
    }

    /** Decides every parked poll again; answers those with work, an expired hold, or a refusal. */
    private void pass() throws InterruptedException {
        long now = System.nanoTime();
        for (Parked p : parked) {
            Task task;
            try {
                task = run.nextTask(p.site(), Duration.ZERO);
            } catch (FederationException e) {
                // e.g. revoked while held: its call ends, as a held blocking poll's did
                if (parked.remove(p)) {
                    fail(p.response(), e.toStatus());
                }
                continue;
            }
            if ((!(task instanceof Task.Wait) || now - p.deadlineNanos() >= 0) && parked.remove(p)) {
                answer(p.response(), task);
            }
        }
    }

    private void answer(StreamObserver<org.fedmil.proto.v1.Task> response, Task task) {
        try {
            response.onNext(toProto.apply(task));
            response.onCompleted();
        } catch (RuntimeException e) {
            // the call was cancelled between the decision and the answer; the site asks again
            log.debug("long poll answered after its call ended: {}", e.toString());
        }
    }

    private static void fail(StreamObserver<org.fedmil.proto.v1.Task> response, RuntimeException status) {
        try {
            response.onError(status);
        } catch (RuntimeException e) {
            log.debug("long poll refused after its call ended: {}", e.toString());
        }
    }

    /** Answers every held poll with its task now (a Wait), so that the server can shut down without waiting. */
    @Override
    public void close() throws InterruptedException {
        closed = true;
        dispatcher.interrupt();
        dispatcher.join(5_000);
        for (Parked p : parked) {
            if (parked.remove(p)) {
                fail(p.response(), Status.UNAVAILABLE.withDescription("coordinator is shutting down")
                        .asRuntimeException());
            }
        }
    }
}
