package org.fedmil.site.secagg;

import java.io.PrintStream;
import java.util.Optional;
import java.util.function.Consumer;
import org.fedmil.secagg.SecAggException;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.agent.Retrying;
import org.fedmil.site.task.Membership;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every secure-aggregation step that answers the coordinator does around its own work: find the round's
 * session, do the step, then either send the answer (retrying a broken link) or, when the step refuses what the
 * coordinator asked, say so in the log and on the console and sit the round out. One place, so that a refusal looks
 * and ends the same at every step.
 */
final class SecAggStep {

    private static final Logger log = LoggerFactory.getLogger(SecAggStep.class);

    /** The step's own work on the round's session; throws when it refuses the coordinator's request. */
    interface Work<R> {
        R on(SecAggSession session) throws SecAggException;
    }

    /** How the step's answer reaches the coordinator. */
    interface Send<R> {
        void send(CoordinatorClient client, R answer);
    }

    /**
     * How a refusal reads: {@code logged} in the log ("refusing the key roster"), {@code printed} on the
     * console ("refused the secure-aggregation key roster"), where operators and tests look for it.
     */
    record Refusal(String logged, String printed) {
    }

    private final SecAggSessions sessions;
    private final Membership membership;
    private final CoordinatorClient client;
    private final Retrying retrying;
    private final PrintStream out;

    SecAggStep(SecAggSessions sessions, Membership membership, CoordinatorClient client, Retrying retrying,
               PrintStream out) {
        this.sessions = sessions;
        this.membership = membership;
        this.client = client;
        this.retrying = retrying;
        this.out = out;
    }

    String site() {
        return membership.siteId();
    }

    /**
     * Runs step {@code step} of {@code round}; {@code onRefusal} runs before the session is abandoned (a step that
     * must leave a record of its refusal writes it there).
     *
     * @return the answer once sent; empty when this site has no session for the round or refused
     */
    <R> Optional<R> run(int round, String step, Work<R> work, Send<R> send, Refusal refusal,
                        Consumer<SecAggException> onRefusal) throws InterruptedException {
        SecAggSession s = sessions.of(round, step);
        if (s == null) {
            return Optional.empty();
        }
        R answer;
        try {
            answer = work.on(s);
        } catch (SecAggException e) {
            log.error("site {} round {}: {}{}: {}", site(), round, refusal.logged(),
                    e.culprit().map(c -> " (entry of " + c + ")").orElse(""), e.getMessage());
            out.printf("site %s round %d: %s: %s%n", site(), round, refusal.printed(), e.getMessage());
            onRefusal.accept(e);
            sessions.abandon();
            return Optional.empty();
        }
        retrying.run(step, () -> send.send(client, answer));
        return Optional.of(answer);
    }
}
