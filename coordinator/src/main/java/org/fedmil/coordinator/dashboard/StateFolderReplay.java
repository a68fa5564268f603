package org.fedmil.coordinator.dashboard;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.fedmil.audit.RecordSchema;
import org.fedmil.coordinator.admin.AdminControl;
import org.fedmil.coordinator.admin.Revocations;
import org.fedmil.coordinator.admin.SiteState;
import org.fedmil.coordinator.round.AcceptedUpdate;
import org.fedmil.coordinator.round.AllListeners;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.RunState;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.coordinator.state.StateStore;

/**
 * The dashboard of a coordinator's state folder, with no coordinator: the signed round log is replayed, record
 * by record at its own times, into the same {@link DashboardState} (and {@link FederationMetrics}) a live
 * coordinator feeds, with metrics.json for the rounds' results, state.json for the phase and revoked-sites.json
 * for the revocations. Reads only; nothing in the folder is written or locked.
 */
public final class StateFolderReplay {

    /** What the page and /metrics of one reading of the folder show. */
    public record Reading(DashboardState state, FederationMetrics metrics) {
    }

    private StateFolderReplay() {
    }

    /**
     * Reads the folder.
     *
     * @throws IllegalArgumentException when it is not a coordinator's state folder or a file in it does not parse;
     *                                  the message names the file
     */
    public static Reading read(Path dir) {
        JsonNode federation = json(dir, "federation.json");
        String federationId = federation.path("federation_id").asText("");
        ReplayClock clock = new ReplayClock();
        DashboardState state = new DashboardState(federationId, federation.path("rounds").asInt(),
                federation.path("min_sites").asInt(), clock);
        FederationMetrics metrics = new FederationMetrics(federationId, federation.path("min_sites").asInt());
        List<RoundResult> results = Files.exists(dir.resolve("metrics.json"))
                ? read(dir, "metrics.json", new TypeReference<List<RoundResult>>() { }) : List.of();
        Map<Integer, RoundResult> byRound = new HashMap<>();
        results.forEach(r -> byRound.put(r.round(), r));
        Replayer replayer = new Replayer(AllListeners.of(state, metrics), byRound);
        Path log = dir.resolve("round-log.jsonl");
        try (BufferedReader in = Files.newBufferedReader(log, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                if (line.isBlank()) {
                    continue;
                }
                JsonNode record;
                try {
                    record = StateStore.JSON.readTree(line);
                } catch (IOException e) {
                    // a torn last line of a coordinator killed mid-write: what precedes it is the record
                    break;
                }
                clock.at(record.path("time").asText(null));
                replayer.replay(record);
            }
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(dir + " has no round-log.jsonl: give the state_dir of a coordinator "
                    + "(the folder with federation.json, state.json, metrics.json and round-log.jsonl)", e);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + log + ": " + e.getMessage(), e);
        }
        if (Files.exists(dir.resolve("state.json"))) {
            RunState run = read(dir, "state.json", new TypeReference<RunState>() { });
            state.stateChanged(run);
            metrics.stateChanged(run);
            JsonNode raw = json(dir, "state.json");
            // a state.json that records a pause (newer coordinators) shows it
            state.paused(raw.path("paused").asBoolean(false), raw.path("paused_by").asText(""),
                    raw.path("paused_at").asText(""));
        }
        if (!results.isEmpty()) {
            metrics.latest(results.get(results.size() - 1));
        }
        Revocations revocations = Revocations.load(dir);
        operatorView(state, results, revocations, replayer.lastRecordAbout);
        state.readOnly();
        return new Reading(state, metrics);
    }

    /** The sites in the words and counts of the operator's status: totals over the completed rounds. */
    private static void operatorView(DashboardState state, List<RoundResult> results, Revocations revocations,
                                     Map<String, String> lastRecord) {
        Map<String, Integer> accepted = new HashMap<>();
        results.forEach(r -> r.sites().forEach(s -> accepted.merge(s, 1, Integer::sum)));
        Set<String> sites = new LinkedHashSet<>();
        state.snapshot().sites().forEach(r -> sites.add(r.site()));
        revocations.all().forEach(e -> sites.add(e.site()));
        // a certified site that called but never joined (its upload refused, say) is listed as the live status does
        sites.addAll(new java.util.TreeSet<>(lastRecord.keySet()));
        Map<String, String> states = new HashMap<>();
        state.snapshot().sites().forEach(r -> states.put(r.site(), r.state()));
        for (String site : sites) {
            Optional<Revocations.Entry> revoked = revocations.entry(site);
            String word = revoked.isPresent() ? SiteState.REVOKED : states.getOrDefault(site, SiteState.LEFT);
            state.operatorView(new AdminControl.Site(site, word, lastRecord.getOrDefault(site, ""),
                    accepted.getOrDefault(site, 0), revoked.map(Revocations.Entry::certSha256).orElse(""),
                    revoked.map(Revocations.Entry::reason).orElse(""), revoked.map(Revocations.Entry::by).orElse("")));
        }
    }

    private static JsonNode json(Path dir, String name) {
        Path file = dir.resolve(name);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException(dir + " has no " + name + ": give the state_dir of a coordinator "
                    + "(the folder with federation.json, state.json, metrics.json and round-log.jsonl)");
        }
        try {
            return StateStore.JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " does not parse: " + e.getMessage(), e);
        }
    }

    private static <T> T read(Path dir, String name, TypeReference<T> type) {
        Path file = dir.resolve(name);
        try {
            return StateStore.JSON.readValue(file.toFile(), type);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + " does not parse: " + e.getMessage(), e);
        }
    }

    /** Turns round-log records back into the events that wrote them. */
    private static final class Replayer {
        private final RoundListener listener;
        private final Map<Integer, RoundResult> results;
        private final Set<String> joined = new LinkedHashSet<>();
        /** Per site, the time of the last record about it: when it was last heard of. */
        final Map<String, String> lastRecordAbout = new HashMap<>();

        Replayer(RoundListener listener, Map<Integer, RoundResult> results) {
            this.listener = listener;
            this.results = results;
        }

        void replay(JsonNode r) {
            String type = r.path("type").asText("");
            String site = r.path("site").asText(null);
            if (site != null) {
                lastRecordAbout.put(site, r.path("time").asText(""));
            }
            switch (type) {
                case RecordSchema.COORDINATOR_RESTARTED -> {
                    // the restarted coordinator knows no site until it joins again
                    for (String s : List.copyOf(joined)) {
                        joined.remove(s);
                        listener.siteLeft(s, "coordinator restarted; not joined again", joined.size());
                    }
                }
                case RecordSchema.SITE_JOINED -> {
                    joined.add(site);
                    listener.siteJoined(site, new SiteJoin(r.path("software_version").asText(""), "",
                            Map.of(-1, r.path("bags").asLong())), joined.size(), r.path("min_sites").asInt());
                }
                case RecordSchema.SITE_LEFT -> {
                    joined.remove(site);
                    listener.siteLeft(site, r.path("reason").asText(""), joined.size());
                }
                case RecordSchema.ROUND_STARTED -> listener.roundStarted(r.path("round").asInt(),
                        r.path("participants").asInt());
                case RecordSchema.UPDATE_ACCEPTED -> listener.updateAccepted(new AcceptedUpdate(site,
                        r.path("round").asInt(), r.path("update_sha256").asText(""), r.path("training_bags").asLong(),
                        r.path("train_loss").asDouble(Double.NaN), r.path("l2_norm").asDouble(Double.NaN), null));
                case RecordSchema.UPDATE_REFUSED -> refused(r, site);
                case RecordSchema.ROUND_SHORT -> listener.roundShort(r.path("round").asInt(), r.path("attempt").asInt(),
                        r.path("updates").asInt(), r.path("min_updates").asInt(), r.path("retried").asBoolean());
                case RecordSchema.INITIAL_MODEL -> completed(0);
                case RecordSchema.ROUND_AGGREGATED -> completed(r.path("round").asInt());
                case RecordSchema.FEDERATION_FINISHED -> listener.finished(r.path("reason").asText(""));
                default -> {
                    // the log's other records (evaluations, revocations: read from revoked-sites.json) change no row
                }
            }
        }

        private void completed(int round) {
            RoundResult result = results.get(round);
            if (result != null) {
                listener.roundCompleted(result, null);
            }
        }

        private void refused(JsonNode r, String site) {
            for (UpdateRefusal kind : UpdateRefusal.values()) {
                if (kind.name().equals(r.path("code").asText())) {
                    listener.updateRefused(site, r.path("round").asInt(), kind, r.path("reason").asText(""));
                }
            }
        }
    }

    /** The replay's "now": the time of the record being replayed. */
    static final class ReplayClock extends Clock {
        private Instant now = Instant.EPOCH;

        void at(String time) {
            if (time != null) {
                try {
                    now = Instant.parse(time);
                } catch (java.time.format.DateTimeParseException e) {
                    // keep the previous record's time
                }
            }
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
