package org.fedmil.coordinator.admin;

import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RunView;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyKind;
import org.fedmil.pki.PkiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an operator may do to a running federation, without any network: the {@link AdminService} only maps
 * these calls to gRPC. Every action names the admin (the CN of the admin certificate) that asked for it.
 */
public final class AdminControl {

    private static final Logger log = LoggerFactory.getLogger(AdminControl.class);

    /** Where revocations are recorded (the signed round log in the coordinator). */
    public interface Recorder {
        void siteRevoked(String site, String certSha256, String certSerial, String reason, String by);

        void siteUnrevoked(String site, String reason, String by);
    }

    /**
     * The federation as an operator sees it: in {@code fedmil admin status}, on the dashboard and in the metrics.
     * {@code pausedBy} and {@code pausedAt} (ISO-8601 UTC) are empty unless paused by an admin of this process.
     */
    public record Status(String federationId, String phase, boolean paused, String pausedBy, String pausedAt,
                         int round, int rounds, int minSites, int updatesReceived, long modelVersion, List<Site> sites,
                         String message) {

        /** Sites joined now, whatever they are doing (a stale one is still joined). */
        public long joinedSites() {
            return sites.stream().filter(s -> SiteState.isJoined(s.state())).count();
        }

        public long revokedSites() {
            return sites.stream().filter(s -> s.state().equals(SiteState.REVOKED)).count();
        }
    }

    /**
     * One site: its state (one of {@link SiteState}), when it last called, its accepted updates over the whole
     * federation (also before a restart) and the fingerprint of its certificate.
     */
    public record Site(String site, String state, String lastSeen, int updatesAccepted, String certSha256,
                       String revokedReason, String revokedBy) {
    }

    private final FederationRun run;
    private final Revocations revocations;
    private final SiteGate gate;
    private final Recorder recorder;
    private final Clock clock;
    /** Who paused the federation and when (ISO-8601 UTC); empty strings when unknown. */
    private record Pause(String by, String at) {
        static final Pause UNKNOWN = new Pause("", "");
    }

    private volatile Pause pausedBy = Pause.UNKNOWN;

    public AdminControl(FederationRun run, Revocations revocations, SiteGate gate, Recorder recorder, Clock clock) {
        this.run = run;
        this.revocations = revocations;
        this.gate = gate;
        this.recorder = recorder;
        this.clock = clock;
    }

    public Status status() {
        return status("");
    }

    public Status pause(String by) {
        boolean changed = run.pause();
        if (changed) {
            pausedBy = new Pause(by, clock.instant().toString());
        }
        log.info("admin '{}' paused the federation{}", by, changed ? "" : " (already paused or finished)");
        return status(changed ? "paused by " + by + ": no new round starts and no train task is handed out"
                : run.view().phase() == FederationRun.Phase.FINISHED ? "the federation has finished" : "already paused");
    }

    public Status resume(String by) {
        boolean changed = run.resume();
        if (changed) {
            pausedBy = Pause.UNKNOWN;
        }
        log.info("admin '{}' resumed the federation{}", by, changed ? "" : " (was not paused)");
        return status(changed ? "resumed by " + by : "was not paused");
    }

    public Status abort(String reason, String by) {
        String why = requireReason(reason);
        if (run.view().phase() == FederationRun.Phase.FINISHED) {
            return status("the federation has already finished");
        }
        run.abort("aborted by admin '" + by + "': " + why);
        log.warn("admin '{}' aborted the federation: {}", by, why);
        return status("aborting: sites are told to stop at their next poll");
    }

    /**
     * Revokes the site: recorded in the list (persisted before anything else), in the round log, and the site
     * leaves the open round. Its certificates are refused from now on, at the handshake and at every call.
     */
    public Status revoke(String site, String reason, String by) {
        requireSiteName(site);
        String why = requireReason(reason);
        Optional<Revocations.Entry> already = revocations.entry(site);
        if (already.isPresent()) {
            // a retried revoke (its first answer lost) must not record the revocation twice
            leaveIfJoined(site, already.get().by(), already.get().reason());
            return status("site '" + site + "' was already revoked by " + already.get().by() + " at "
                    + already.get().time() + ": " + already.get().reason() + " (unrevoke it first to change that)");
        }
        Optional<SiteGate.Seen> seen = gate.lastSeen(site);
        String sha = seen.map(SiteGate.Seen::certSha256).orElse("");
        String serial = seen.map(SiteGate.Seen::certSerial).orElse("");
        revocations.revoke(new Revocations.Entry(site, sha, serial, why, by, clock.instant().toString()));
        recorder.siteRevoked(site, sha, serial, why, by);
        leaveIfJoined(site, by, why);
        log.warn("admin '{}' revoked site '{}': {}", by, site, why);
        String done = "revoked site '" + site + "'" + (seen.isEmpty() ? " (it has not called this coordinator)" : "");
        return status(quorumWarning().map(w -> {
            log.warn(w);
            return done + "; " + w;
        }).orElse(done));
    }

    private void leaveIfJoined(String site, String by, String why) {
        if (run.view().isJoined(site)) {
            try {
                run.leave(site, "revoked by admin '" + by + "': " + why);
            } catch (RuntimeException e) {
                // it left meanwhile
                log.debug("revoked site {} had already left", site, e);
            }
        }
    }

    public Status unrevoke(String site, String reason, String by) {
        requireSiteName(site);
        String why = requireReason(reason);
        if (!revocations.isRevoked(site)) {
            throw new IllegalArgumentException("site '" + site + "' is not revoked");
        }
        revocations.unrevoke(site);
        recorder.siteUnrevoked(site, why, by);
        log.warn("admin '{}' admitted revoked site '{}' again: {}", by, site, why);
        return status("site '" + site + "' may join again");
    }

    /** Why the federation, waiting for sites, cannot reach min_sites since some were revoked; empty otherwise. */
    public Optional<String> quorumWarning() {
        RunView view = run.view();
        if (view.phase() != FederationRun.Phase.WAITING_FOR_SITES) {
            return Optional.empty();
        }
        return QuorumCheck.warning(view.federationId(), run.plan().minSites(), run.knownSites(), view.joinedSites(),
                revocations.all().stream().map(Revocations.Entry::site).toList());
    }

    private Status status(String message) {
        if (message.isEmpty()) {
            message = quorumWarning().orElse("");
        }
        // one published view: every number of the status is of the same moment
        RunView view = run.view();
        Map<String, Site> sites = new LinkedHashMap<>();
        // every count is the federation's total, from the completed rounds' sites: it survives a restart
        Map<String, Integer> accepted = new LinkedHashMap<>();
        view.history().forEach(r -> r.sites().forEach(s -> accepted.merge(s, 1, Integer::sum)));
        for (FederationRun.SiteView v : view.sites()) {
            sites.put(v.siteId(), site(v.siteId(), SiteState.of(v.state(), gate.lastSeen(v.siteId()), clock.instant()),
                    v.updatesAccepted()));
        }
        for (Revocations.Entry e : revocations.all()) {
            int n = sites.containsKey(e.site()) ? sites.get(e.site()).updatesAccepted()
                    : accepted.getOrDefault(e.site(), 0);
            sites.put(e.site(), site(e.site(), SiteState.REVOKED, n));
        }
        for (String seenSite : gate.seen().keySet()) {
            sites.putIfAbsent(seenSite, site(seenSite, SiteState.LEFT, accepted.getOrDefault(seenSite, 0)));
        }
        Pause paused = view.paused() ? pausedBy : Pause.UNKNOWN;
        return new Status(view.federationId(), view.phase().name(), view.paused(), paused.by(), paused.at(),
                view.round(), run.plan().rounds(), run.plan().minSites(), view.updatesReceived(),
                view.model().version(), new ArrayList<>(sites.values()), message);
    }

    private Site site(String id, String state, int accepted) {
        Optional<SiteGate.Seen> seen = gate.lastSeen(id);
        Optional<Revocations.Entry> revoked = revocations.entry(id);
        return new Site(id, state, seen.map(s -> s.time().toString()).orElse(""), accepted,
                seen.map(SiteGate.Seen::certSha256).orElse(revoked.map(Revocations.Entry::certSha256).orElse("")),
                revoked.map(Revocations.Entry::reason).orElse(""), revoked.map(Revocations.Entry::by).orElse(""));
    }

    private static String requireReason(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a reason is required (--reason \"...\"); the round log records it");
        }
        return reason.strip();
    }

    private static void requireSiteName(String site) {
        try {
            ConsortiumCa.requirePartyName(site, PartyKind.SITE);
        } catch (PkiException e) {
            throw new IllegalArgumentException(e.getMessage(), e);
        }
    }
}
