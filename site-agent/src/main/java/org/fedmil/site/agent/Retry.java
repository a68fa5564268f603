package org.fedmil.site.agent;

import io.grpc.Status;

/** Which failures of a call are worth trying again: the coordinator or the link was away, not the request wrong. */
final class Retry {

    private Retry() {
    }

    /**
     * UNAVAILABLE: unreachable or restarting; DEADLINE_EXCEEDED: the link stalled; CANCELLED and UNKNOWN: the
     * stream broke (e.g. RST_STREAM); ABORTED: a newer stream of the same upload took over; INTERNAL: the
     * coordinator closed a call without an answer.
     */
    static boolean isTransient(Status.Code code) {
        return code == Status.Code.UNAVAILABLE || code == Status.Code.DEADLINE_EXCEEDED
                || code == Status.Code.CANCELLED || code == Status.Code.UNKNOWN || code == Status.Code.ABORTED
                || code == Status.Code.INTERNAL;
    }
}
