package org.fedmil.coordinator.admin;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The words for a site's state, the same in {@code fedmil admin status}, on the dashboard, in {@code /api/state} and
 * in the metrics:
 * <ul>
 *   <li>{@code joined}: joined, waiting for a round (or for a pause to end)</li>
 *   <li>{@code training}: a participant of the open round whose update is not in yet</li>
 *   <li>{@code submitted}: its update of the open round was accepted</li>
 *   <li>{@code stale}: joined, but silent for longer than {@link #STALE_AFTER} while it should be polling</li>
 *   <li>{@code left}: left the federation (it said so, or it was made to)</li>
 *   <li>{@code revoked}: revoked by an admin; its certificates are refused</li>
 * </ul>
 */
public final class SiteState {

    public static final String JOINED = "joined";
    public static final String TRAINING = "training";
    public static final String SUBMITTED = "submitted";
    public static final String STALE = "stale";
    public static final String LEFT = "left";
    public static final String REVOKED = "revoked";

    public static final List<String> ALL = List.of(JOINED, TRAINING, SUBMITTED, STALE, LEFT, REVOKED);

    /**
     * A joined site that is not training asks for its next task at least every 30 s (the longest hold of a poll);
     * four times that without a call means its process or its link is gone, although it has not left.
     */
    public static final Duration STALE_AFTER = Duration.ofMinutes(2);

    private SiteState() {
    }

    /** Joined now, whatever it is doing. */
    public static boolean isJoined(String state) {
        return state.equals(JOINED) || state.equals(TRAINING) || state.equals(SUBMITTED) || state.equals(STALE);
    }

    /**
     * The state shown for a site the run reports in {@code runState}: a waiting site that has not called for
     * {@link #STALE_AFTER} is stale. A training site is not: local training may take long without a call.
     */
    static String of(String runState, Optional<SiteGate.Seen> lastSeen, Instant now) {
        boolean waiting = runState.equals(JOINED) || runState.equals(SUBMITTED);
        if (waiting && lastSeen.isPresent()
                && Duration.between(lastSeen.get().time(), now).compareTo(STALE_AFTER) > 0) {
            return STALE;
        }
        return runState;
    }
}
