package org.fedmil.coordinator.round;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.fedmil.coordinator.round.FederationRun.Phase;
import org.fedmil.util.Sha256;

/**
 * The federation's mutable state. Confined to the event thread ({@link EventLoop}): it has no lock because nothing
 * else reads or writes it; readers get {@link #view}s of it instead.
 */
final class RoundState {

    final String federationId;
    final Map<String, SiteJoin> sites = new LinkedHashMap<>();
    final Set<String> participants = new LinkedHashSet<>();
    /** Accepted updates of the open round: site → delta SHA-256, for idempotent retries. */
    final Map<String, byte[]> submitted = new LinkedHashMap<>();
    final Set<String> evaluated = new LinkedHashSet<>();
    final Set<String> stopped = new LinkedHashSet<>();
    final List<RoundResult> history = new ArrayList<>();
    final List<Integer> skipped = new ArrayList<>();
    /** Sites that left (or were revoked) and have not joined again. */
    final Set<String> departed = new LinkedHashSet<>();
    /** Every site that has joined this federation, before a restart too. */
    final Set<String> known = new LinkedHashSet<>();
    /** Sites joined when the previous coordinator stopped that have not joined this one yet. */
    final Set<String> joinedBeforeRestart = new LinkedHashSet<>();
    Phase phase = Phase.WAITING_FOR_SITES;
    GlobalModel global;
    int round;
    int attempt;
    /** Set by the operator: no round starts and no train task is handed out until resumed. */
    boolean paused;
    String finishReason;
    RoundAggregation aggregation;
    /** The open round's weight rules: each participant's declared bags and the share cap. */
    RoundWeights weights;
    /** The relative norm bound, from earlier rounds' accepted norms. */
    NormReference norms = new NormReference(0);
    /** The open round's effective weight of each accepted update, for the round log. */
    final Map<String, Long> effectiveWeights = new LinkedHashMap<>();
    double weightedLossSum;
    long roundBags;
    /** The open round's site validations of the model it started from. */
    FederatedValidation.Sum validation = new FederatedValidation.Sum();
    /** The last round to run: the plan's rounds, or an earlier one once early stopping has decided. */
    int lastRound;
    /** The sites' validation of the final model, from their evaluation reports. */
    FederatedValidation.Sum finalValidation = new FederatedValidation.Sum();
    /** Why the rounds ended before the plan's last, once early stopping decided; null otherwise. */
    String stoppedEarly;
    long roundStartNanos;
    private long stateSeq;
    private long viewSeq;

    RoundState(String federationId, GlobalModel global, int lastRound) {
        this.federationId = federationId;
        this.global = global;
        this.lastRound = lastRound;
    }

    /**
     * Takes up what a restarted coordinator found in its state folder: the rounds done and skipped, the sites known
     * and joined before, and a finish, which stays (no round opens again). The decision to stop early is remade from
     * the history, so a restart after it stops where it did.
     */
    void takeUp(Resume resume, EarlyStopping earlyStopping) {
        history.addAll(resume.completed());
        skipped.addAll(resume.skipped());
        known.addAll(resume.knownSites());
        known.addAll(resume.joinedSites());
        joinedBeforeRestart.addAll(resume.joinedSites());
        if (resume.finished()) {
            round = history.get(history.size() - 1).round();
            finishReason = resume.finishReason();
            phase = PhaseTable.next(phase, PhaseTable.Event.FINISH);
            return;
        }
        round = resume.nextRound() - 1;
        ModelChoice.stopReason(earlyStopping, history).ifPresent(reason -> {
            lastRound = round;
            stoppedEarly = reason;
        });
    }

    /** "all 10 rounds done", or why the rounds stopped early. */
    String roundsDone() {
        return stoppedEarly != null ? stoppedEarly : "all " + lastRound + " rounds done";
    }

    void requireJoined(String siteId) {
        if (sites.containsKey(siteId)) {
            return;
        }
        if (joinedBeforeRestart.contains(siteId)) {
            // a routine re-join after a restart, not a refusal of what the site sent: no refusal kind, so it is
            // neither counted nor recorded, and the agent joins again on this status as it would on NOT_JOINED
            throw new FederationException(io.grpc.Status.Code.PERMISSION_DENIED, "site '" + siteId + "' was "
                    + "joined before the coordinator restarted and has not joined again yet; call Join first "
                    + "(agents do so on their own)");
        }
        throw UpdateRefusal.NOT_JOINED.because("site '" + siteId
                + "' has not joined this federation (or the coordinator restarted since); call Join first");
    }

    /**
     * Where a site that missed round {@code r} comes in: the round after it, or, when {@code r} is the last, the
     * evaluation of the final model ({@code siteEvaluation}) or nothing.
     */
    String takesPartAfter(int r, boolean siteEvaluation) {
        if (r < lastRound) {
            return "it takes part from round " + (r + 1);
        }
        return "round " + r + " is the last, so no further round follows; " + (siteEvaluation
                ? "it evaluates the final model" : "it is told to stop when the federation finishes");
    }

    /** The open round's training phase has its site's update in: collecting or aggregating it. */
    private boolean roundInFlight() {
        return phase == Phase.TRAINING || phase == Phase.AGGREGATING;
    }

    /** What a restart needs, for the listener to persist. */
    RunState runState() {
        Map<String, String> in = new TreeMap<>();
        submitted.forEach((site, sha) -> in.put(site, Sha256.hex(sha)));
        List<Integer> completed = history.stream().map(RoundResult::round).toList();
        return new RunState(++stateSeq, federationId, phase, round, attempt, global.version(), completed, skipped,
                new ArrayList<>(participants), in, finishReason, new ArrayList<>(sites.keySet()),
                new ArrayList<>(known));
    }

    RunView view() {
        return new RunView(++viewSeq, federationId, phase, paused, round, attempt, global, history, skipped,
                new ArrayList<>(sites.keySet()), new ArrayList<>(participants), new ArrayList<>(submitted.keySet()),
                siteViews(), phase == Phase.FINISHED && stopped.containsAll(sites.keySet()), finishReason);
    }

    /**
     * Every site joined now or departed, with its state (joined, training, submitted, left) and how many of its
     * updates were accepted: aggregated in completed rounds, plus the open round's.
     */
    private List<FederationRun.SiteView> siteViews() {
        Map<String, Integer> accepted = new TreeMap<>();
        for (RoundResult h : history) {
            for (String site : h.sites()) {
                accepted.merge(site, 1, Integer::sum);
            }
        }
        if (roundInFlight()) {
            submitted.keySet().forEach(site -> accepted.merge(site, 1, Integer::sum));
        }
        List<FederationRun.SiteView> views = new ArrayList<>();
        for (String site : sites.keySet()) {
            String state = "joined";
            if (submitted.containsKey(site) && roundInFlight()) {
                state = "submitted";
            } else if (phase == Phase.TRAINING && participants.contains(site)) {
                state = "training";
            }
            views.add(new FederationRun.SiteView(site, state, accepted.getOrDefault(site, 0)));
        }
        for (String site : departed) {
            views.add(new FederationRun.SiteView(site, "left", accepted.getOrDefault(site, 0)));
        }
        return views;
    }
}
