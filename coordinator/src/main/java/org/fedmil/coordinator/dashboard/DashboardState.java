package org.fedmil.coordinator.dashboard;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.fedmil.coordinator.admin.AdminControl;
import org.fedmil.coordinator.admin.SiteState;
import org.fedmil.coordinator.round.AcceptedUpdate;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.RunState;
import org.fedmil.coordinator.round.RunView;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.UpdateRefusal;

/**
 * What the dashboard shows, built from {@link RoundListener} events (the round timeline, the sites and their state,
 * held-out metrics per round and the refused updates) and, once it {@link #follow follows} the run, from the run's
 * published {@link RunView} (phase, current round, joined sites). Plain logic, no network; every method is thread-safe
 * and {@link #snapshot()} returns an immutable copy.
 */
public final class DashboardState implements RoundListener {

    /** Refusals kept for the page; older ones are in the state folder's refusals.json. */
    public static final int MAX_REFUSALS = 200;

    private final String federationId;
    private final int rounds;
    private final int minSites;
    private final Clock clock;

    private String phase = FederationRun.Phase.WAITING_FOR_SITES.name();
    private int currentRound;
    private long lastSeq = -1;
    private String finished;
    private final Map<Integer, RoundRow> timeline = new TreeMap<>();
    private final Map<String, SiteRow> sites = new TreeMap<>();
    private final Deque<Refusal> refusals = new ArrayDeque<>();
    private long refusalsTotal;
    /** The run's published view, once followed: the phase, round and joined sites of the page come from it. */
    private volatile Supplier<RunView> view;
    /** The operator's status, once followed: paused by whom, and every site's state, last call and total count. */
    private volatile Supplier<AdminControl.Status> operator;
    private boolean paused;
    private String pausedBy = "";
    private String pausedAt = "";
    private boolean readOnly;
    /** Refused uploads of certified sites that never joined (no row until the operator's status lists them). */
    private final Map<String, Integer> refusalsOfSitesWithoutARow = new TreeMap<>();

    public DashboardState(String federationId, int rounds, int minSites, Clock clock) {
        this.federationId = federationId;
        this.rounds = rounds;
        this.minSites = minSites;
        this.clock = clock;
    }

    /** One round as the timeline shows it; {@code status} is running, completed, short (retried) or skipped. */
    public record RoundRow(int round, int attempt, String status, int participants, int updates, String started,
                           String completed, double seconds, List<String> sites, long trainingBags, double trainLoss,
                           double auc, double loss, double accuracy) {
    }

    /**
     * A site as the dashboard shows it: {@code state} is one of {@link SiteState}'s words, {@code leftReason} why it
     * left or was revoked, {@code lastSeen} its last call to this coordinator process. Strings here come from sites:
     * escape them before showing them.
     */
    public record SiteRow(String site, String state, String joined, String left, String leftReason, String device,
                          String softwareVersion, long bags, int updatesAccepted, int lastUpdateRound,
                          String lastUpdate, double lastTrainLoss, int refusals, String lastSeen) {

        /** A site known only from the operator's status, e.g. one revoked before this coordinator started. */
        static SiteRow blank(String site, String state, int refusals) {
            return new SiteRow(site, state, null, null, null, "", "", 0, 0, 0, null, Double.NaN, refusals, "");
        }

        SiteRow withOperatorView(AdminControl.Site s) {
            String reason = s.state().equals(SiteState.REVOKED)
                    ? "revoked by " + s.revokedBy() + ": " + s.revokedReason() : leftReason;
            return new SiteRow(site, s.state(), joined, left, reason, device, softwareVersion, bags,
                    s.updatesAccepted(), lastUpdateRound, lastUpdate, lastTrainLoss, refusals,
                    s.lastSeen().isEmpty() ? lastSeen : s.lastSeen());
        }
    }

    public record Refusal(String time, String site, int round, String kind, String reason) {
    }

    /**
     * Everything the page shows at one moment. {@code phase} is the run's phase; {@code paused} is true while an
     * operator holds it (with who and when, empty if unknown); {@code warning} what the operator's status warns of
     * (min_sites out of reach after revocations), empty if nothing; {@code readOnly} for a state folder served by
     * {@code fedmil dashboard --state}.
     */
    public record Snapshot(String federationId, String now, String phase, boolean paused, String pausedBy,
                           String pausedAt, int currentRound, int rounds, int minSites, int joinedSites,
                           String finished, List<RoundRow> timeline, List<SiteRow> sites, List<Refusal> refusals,
                           long refusalsTotal, boolean readOnly, String warning) {
    }

    /**
     * Takes the federation's phase, current round and joined sites from the run's published view from now on, rather
     * than from the events: the page then shows the same moment as the operator's status and the metrics.
     */
    public void follow(Supplier<RunView> runView) {
        this.view = runView;
    }

    /**
     * Takes paused-by-whom and the sites' states, last calls and update counts from the operator's status from now
     * on: the page then says what {@code fedmil admin status} says, in the same words, with the same counts, and
     * keeps revoked and departed sites.
     */
    public void followOperator(Supplier<AdminControl.Status> status) {
        this.operator = status;
    }

    /** Sets what a state folder records of a pause (no operator is followed there). */
    public synchronized void paused(boolean isPaused, String by, String at) {
        paused = isPaused;
        pausedBy = by == null ? "" : by;
        pausedAt = at == null ? "" : at;
    }

    /** Marks the page as a state folder's, served read-only. */
    public synchronized void readOnly() {
        readOnly = true;
    }

    /** Sets a site's row as the operator's status (or a state folder) reports it. */
    public synchronized void operatorView(AdminControl.Site s) {
        sites.put(s.site(), sites.getOrDefault(s.site(), blank(s)).withOperatorView(s));
    }

    public synchronized Snapshot snapshot() {
        int joined = (int) sites.values().stream().filter(s -> SiteState.isJoined(s.state())).count();
        String phaseNow = phase;
        int roundNow = currentRound;
        String finishedNow = finished;
        boolean pausedNow = paused;
        String by = pausedBy;
        String at = pausedAt;
        Map<String, SiteRow> siteRows = new TreeMap<>(sites);
        Supplier<RunView> followed = view;
        Supplier<AdminControl.Status> status = operator;
        String warning = "";
        if (status != null) {
            // one moment for the whole page: the operator's status is made from one published view
            AdminControl.Status st = status.get();
            phaseNow = st.phase();
            roundNow = st.round();
            pausedNow = st.paused();
            by = st.pausedBy();
            at = st.pausedAt();
            warning = st.message(); // asked without an action, the status message is its warning
            joined = (int) st.joinedSites();
            for (AdminControl.Site s : st.sites()) {
                siteRows.put(s.site(), siteRows.getOrDefault(s.site(), blank(s))
                        .withOperatorView(s));
            }
            if (followed != null && followed.get().finishReason() != null) {
                finishedNow = followed.get().finishReason();
            }
        } else if (followed != null) {
            RunView v = followed.get();
            phaseNow = v.phase().name();
            roundNow = v.round();
            pausedNow = v.paused();
            joined = v.joinedSites().size();
            finishedNow = v.finishReason() != null ? v.finishReason() : finished;
        }
        List<Refusal> newestFirst = new ArrayList<>(refusals);
        java.util.Collections.reverse(newestFirst);
        return new Snapshot(federationId, now(), phaseNow, pausedNow, pausedNow ? by : "", pausedNow ? at : "",
                roundNow, rounds, minSites, joined, finishedNow, List.copyOf(timeline.values()),
                List.copyOf(siteRows.values()), List.copyOf(newestFirst), refusalsTotal, readOnly, warning);
    }

    private String now() {
        return Instant.now(clock).toString();
    }

    @Override
    public synchronized void siteJoined(String siteId, SiteJoin join, int joinedSites, int minSites) {
        SiteRow old = sites.get(siteId);
        sites.put(siteId, new SiteRow(siteId, SiteState.JOINED, now(), null, null, join.device(), join.softwareVersion(),
                join.totalBags(), old == null ? 0 : old.updatesAccepted(), old == null ? 0 : old.lastUpdateRound(),
                old == null ? null : old.lastUpdate(), old == null ? Double.NaN : old.lastTrainLoss(),
                old == null ? 0 : old.refusals(), old == null ? "" : old.lastSeen()));
    }

    @Override
    public synchronized void siteLeft(String siteId, String reason, int remainingSites) {
        SiteRow s = sites.get(siteId);
        if (s != null) {
            sites.put(siteId, new SiteRow(s.site(), SiteState.LEFT, s.joined(), now(), reason, s.device(),
                    s.softwareVersion(), s.bags(), s.updatesAccepted(), s.lastUpdateRound(), s.lastUpdate(),
                    s.lastTrainLoss(), s.refusals(), s.lastSeen()));
        }
    }

    @Override
    public synchronized void roundStarted(int round, int participants) {
        currentRound = round;
        RoundRow old = timeline.get(round);
        int attempt = old == null ? 1 : old.attempt() + 1;
        timeline.put(round, new RoundRow(round, attempt, "running", participants, 0, now(), null, Double.NaN,
                List.of(), 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN));
    }

    @Override
    public synchronized void updateAccepted(AcceptedUpdate u) {
        RoundRow r = timeline.get(u.round());
        if (r != null) {
            timeline.put(u.round(), new RoundRow(r.round(), r.attempt(), r.status(), r.participants(), r.updates() + 1,
                    r.started(), r.completed(), r.seconds(), r.sites(), r.trainingBags(), r.trainLoss(), r.auc(),
                    r.loss(), r.accuracy()));
        }
        SiteRow s = sites.get(u.siteId());
        if (s != null) {
            sites.put(u.siteId(), new SiteRow(s.site(), s.state(), s.joined(), s.left(), s.leftReason(), s.device(),
                    s.softwareVersion(), s.bags(), s.updatesAccepted() + 1, u.round(), now(), u.trainLoss(),
                    s.refusals(), s.lastSeen()));
        }
    }

    @Override
    public synchronized void roundCompleted(RoundResult result, GlobalModel model) {
        RoundRow r = timeline.get(result.round());
        timeline.put(result.round(), new RoundRow(result.round(), r == null ? 1 : r.attempt(), "completed",
                r == null ? result.sites().size() : r.participants(), result.sites().size(),
                r == null ? null : r.started(), now(), result.seconds(), result.sites(), result.trainingBags(),
                result.trainLoss(), result.heldout().auc(), result.heldout().loss(), result.heldout().accuracy()));
        currentRound = Math.max(currentRound, result.round());
    }

    @Override
    public synchronized void roundShort(int round, int attempt, int updates, int minUpdates, boolean retried) {
        RoundRow r = timeline.get(round);
        timeline.put(round, new RoundRow(round, attempt, retried ? "short, retried" : "skipped",
                r == null ? 0 : r.participants(), updates, r == null ? null : r.started(), now(), Double.NaN,
                List.of(), 0, Double.NaN, Double.NaN, Double.NaN, Double.NaN));
    }

    @Override
    public synchronized void updateRefused(String siteId, int round, UpdateRefusal kind, String reason) {
        refusals.addLast(new Refusal(now(), siteId, round, kind.name(), reason));
        refusalsTotal++;
        while (refusals.size() > MAX_REFUSALS) {
            refusals.removeFirst();
        }
        SiteRow s = sites.get(siteId);
        if (s != null) {
            sites.put(siteId, new SiteRow(s.site(), s.state(), s.joined(), s.left(), s.leftReason(), s.device(),
                    s.softwareVersion(), s.bags(), s.updatesAccepted(), s.lastUpdateRound(), s.lastUpdate(),
                    s.lastTrainLoss(), s.refusals() + 1, s.lastSeen()));
        } else {
            refusalsOfSitesWithoutARow.merge(siteId, 1, Integer::sum);
        }
    }

    /** The row of a site the operator's status lists and the events have not: its refusals kept. */
    private SiteRow blank(AdminControl.Site s) {
        return SiteRow.blank(s.site(), s.state(), refusalsOfSitesWithoutARow.getOrDefault(s.site(), 0));
    }

    @Override
    public synchronized void stateChanged(RunState state) {
        // all events come from the run's one event thread, in order; the check keeps a replayed older one out
        if (state.seq() > lastSeq) {
            lastSeq = state.seq();
            phase = state.phase().name();
            currentRound = state.round();
        }
    }

    @Override
    public synchronized void finished(String reason) {
        finished = reason;
        phase = FederationRun.Phase.FINISHED.name();
    }

    /** Held-out AUC and loss per completed round, in round order, for the plots. */
    public static Map<Integer, double[]> heldOutSeries(Snapshot s) {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        for (RoundRow r : s.timeline()) {
            if (r.status().equals("completed")) {
                out.put(r.round(), new double[] {r.auc(), r.loss(), r.trainLoss()});
            }
        }
        return out;
    }
}
