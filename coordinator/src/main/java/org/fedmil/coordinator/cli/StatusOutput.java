package org.fedmil.coordinator.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedmil.proto.v1.FederationStatus;
import org.fedmil.proto.v1.SiteStatus;

/** An admin call's answer for people (a summary line and a table of the sites) or for scripts (one JSON object). */
final class StatusOutput {

    private static final ObjectMapper JSON = new ObjectMapper();

    private StatusOutput() {
    }

    /** The human-readable answer: a summary line, then a table of the sites. */
    static void text(PrintWriter out, FederationStatus s) {
        if (!s.getMessage().isEmpty()) {
            out.println(s.getMessage());
        }
        out.printf(Locale.ROOT, "federation '%s': %s%s, round %d of %d, model v%d, %d updates in this round, "
                        + "min %d sites%n", s.getFederationId(), s.getPhase(), s.getPaused() ? " (PAUSED)" : "",
                s.getRound(), s.getRounds(), s.getModelVersion(), s.getUpdatesReceived(), s.getMinSites());
        if (s.getPaused() && !s.getPausedBy().isEmpty()) {
            out.printf(Locale.ROOT, "paused by %s at %s: no round starts until `fedmil admin resume`%n",
                    s.getPausedBy(), s.getPausedAt());
        }
        if (s.getSitesCount() == 0) {
            out.println("no site has joined yet");
            return;
        }
        int w = Math.max(4, s.getSitesList().stream().mapToInt(x -> x.getSite().length()).max().orElse(4));
        String row = "%-" + w + "s  %-9s  %-24s  %7s  %s%n";
        out.printf(Locale.ROOT, row, "site", "state", "last seen (UTC)", "updates", "certificate SHA-256");
        for (SiteStatus site : s.getSitesList()) {
            String cert = site.getCertSha256().isEmpty() ? "-" : abbreviate(site.getCertSha256());
            String seen = site.getLastSeen().isEmpty() ? "never" : site.getLastSeen();
            out.printf(Locale.ROOT, row, site.getSite(), site.getState(), seen, site.getUpdatesAccepted(), cert);
            if (!site.getRevokedBy().isEmpty()) {
                out.printf(Locale.ROOT, "%" + w + "s  revoked by %s: %s%n", "", site.getRevokedBy(),
                        site.getRevokedReason());
            }
        }
    }

    /** The answer as one line of JSON, the proto's field names: for scripts (and `jq`). */
    static void json(PrintWriter out, FederationStatus s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("federation_id", s.getFederationId());
        m.put("phase", s.getPhase());
        m.put("paused", s.getPaused());
        m.put("paused_by", s.getPausedBy());
        m.put("paused_at", s.getPausedAt());
        m.put("round", s.getRound());
        m.put("rounds", s.getRounds());
        m.put("min_sites", s.getMinSites());
        m.put("updates_received", s.getUpdatesReceived());
        m.put("model_version", s.getModelVersion());
        m.put("message", s.getMessage());
        List<Map<String, Object>> sites = new ArrayList<>();
        for (SiteStatus site : s.getSitesList()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("site", site.getSite());
            x.put("state", site.getState());
            x.put("last_seen", site.getLastSeen());
            x.put("updates_accepted", site.getUpdatesAccepted());
            x.put("cert_sha256", site.getCertSha256());
            x.put("revoked_reason", site.getRevokedReason());
            x.put("revoked_by", site.getRevokedBy());
            sites.add(x);
        }
        m.put("sites", sites);
        try {
            out.println(JSON.writeValueAsString(m));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the status as JSON", e);
        }
    }

    private static String abbreviate(String fingerprint) {
        return fingerprint.length() > 23 ? fingerprint.substring(0, 23) + "…" : fingerprint;
    }
}
