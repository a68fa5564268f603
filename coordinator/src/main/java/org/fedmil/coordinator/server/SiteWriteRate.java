package org.fedmil.coordinator.server;

import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.fedmil.tls.PeerIdentity;

/**
 * A token bucket per site over the calls that can write to the state folder or the round log (Join, UploadUpdate,
 * ReportEvaluation, Leave and the secure-aggregation steps): {@code limits.write_call_burst} calls at once, then
 * {@code limits.write_calls_per_second}. A well-behaved site makes a handful of such calls per round; a looping
 * or hostile one is answered RESOURCE_EXHAUSTED, and that refusal writes nothing, so what one site can add to
 * the signed round log grows at most at this rate. Reads (NextTask, DownloadModel, UploadStatus, CheckJoin) are
 * not counted. A rate of 0 turns the limit off.
 */
final class SiteWriteRate implements ServerInterceptor {

    static final Set<String> WRITES = Set.of("Join", "UploadUpdate", "ReportEvaluation", "Leave", "AdvertiseKeys",
            "ShareKeys", "Unmask", "SignSurvivors");

    private final double perSecond;
    private final int burst;
    private final LongSupplier nanos;
    private final ConcurrentHashMap<String, Bucket> buckets = new ConcurrentHashMap<>();

    SiteWriteRate(double perSecond, int burst) {
        this(perSecond, burst, System::nanoTime);
    }

    SiteWriteRate(double perSecond, int burst, LongSupplier nanos) {
        this.perSecond = perSecond;
        this.burst = burst;
        this.nanos = nanos;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                       ServerCallHandler<Q, R> next) {
        String method = call.getMethodDescriptor().getBareMethodName();
        if (perSecond <= 0 || !WRITES.contains(method)) {
            return next.startCall(call, headers);
        }
        String site = PeerIdentity.current().commonName();
        long waitNanos = buckets.computeIfAbsent(site, s -> new Bucket(burst, nanos.getAsLong())).take(perSecond,
                burst, nanos.getAsLong());
        if (waitNanos > 0) {
            call.close(Status.RESOURCE_EXHAUSTED.withDescription(String.format(Locale.ROOT, "site '%s' made more "
                    + "than %d writing calls at once or %s per second (limits.write_call_burst, "
                    + "limits.write_calls_per_second); %s was not run, try again in %d ms", site, burst, perSecond,
                    method, Math.max(1, waitNanos / 1_000_000))), new Metadata());
            return new ServerCall.Listener<>() {
            };
        }
        return next.startCall(call, headers);
    }

    /** Tokens are refilled lazily, from the time since the last take. */
    private static final class Bucket {
        private double tokens;
        private long at;

        Bucket(int burst, long now) {
            this.tokens = burst;
            this.at = now;
        }

        /** @return 0 when a token was taken, otherwise the nanoseconds until one is there */
        synchronized long take(double perSecond, int burst, long now) {
            tokens = Math.min(burst, tokens + (now - at) / 1e9 * perSecond);
            at = now;
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            return (long) Math.ceil((1 - tokens) / perSecond * 1e9);
        }
    }
}
