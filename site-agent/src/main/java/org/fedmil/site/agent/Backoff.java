package org.fedmil.site.agent;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter (AWS architecture blog, "Exponential Backoff And Jitter"): many sites
 * retrying after a coordinator restart do not all knock at the same instant.
 */
public final class Backoff {

    private final long initialMs;
    private final long maxMs;
    private int attempt;

    public Backoff(Duration initial, Duration max) {
        this.initialMs = initial.toMillis();
        this.maxMs = max.toMillis();
    }

    public Duration next() {
        long cap = Math.min(maxMs, initialMs << Math.min(attempt, 20));
        attempt++;
        return Duration.ofMillis(ThreadLocalRandom.current().nextLong(cap / 2, cap + 1));
    }
}
