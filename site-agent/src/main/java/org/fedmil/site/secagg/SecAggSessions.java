package org.fedmil.site.secagg;

import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.secagg.SecAggParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The site's open secure-aggregation attempt, shared by the four step executors. A site restarted mid-round holds
 * none and sits the round out; so does one that gave up on a round (a bad roster, a bad share, an unsafe unmask).
 */
public final class SecAggSessions {

    private static final Logger log = LoggerFactory.getLogger(SecAggSessions.class);

    private final RosterAuthentication authentication;
    private final long pauseMs;
    private SecAggSession current;

    /**
     * @param authentication signs this site's keys and checks every other site's
     * @param pauseMs        how long to pause before asking for the next task after sitting a step out
     */
    public SecAggSessions(RosterAuthentication authentication, long pauseMs) {
        this.authentication = authentication;
        this.pauseMs = pauseMs;
    }

    /**
     * The session for an advertise step. Keys are reused only while nothing was shared under them: a new attempt of
     * a round gets fresh secrets, or the coordinator could combine one attempt's revealed seed with another's
     * revealed key.
     */
    synchronized SecAggSession forAdvertising(String site, SecAggParameters parameters) {
        if (current == null || current.round() != parameters.round() || current.hasShared()) {
            current = SecAggSession.start(site, parameters, authentication);
        }
        return current;
    }

    /** The session of this round, or null (after a pause) when this agent has none: it sits the round out. */
    SecAggSession of(int round, String step) throws InterruptedException {
        synchronized (this) {
            if (current != null && current.round() == round) {
                return current;
            }
        }
        log.warn("asked to {} in round {}'s secure aggregation, but this agent holds no keys of that round (it "
                + "restarted, or gave up on the round); the round goes on without it", step, round);
        Thread.sleep(pauseMs);
        return null;
    }

    /** Gives up on the open attempt, and pauses before the next task. */
    void abandon() throws InterruptedException {
        synchronized (this) {
            current = null;
        }
        Thread.sleep(pauseMs);
    }
}
