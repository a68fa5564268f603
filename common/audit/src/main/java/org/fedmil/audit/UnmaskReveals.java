package org.fedmil.audit;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * What a site revealed when unmasking a securely aggregated round, as its egress log describes the {@code Unmask}
 * message it sent (whose self-mask seed shares, whose masking-key shares), against what the round log's
 * {@code secure_aggregation} record says that site revealed. The reveals are how a coordinator would gather both
 * secrets of one site (and so its delta): a record that lists fewer or other owners than the site sent hides that.
 *
 * <p>Only the site's last attempt at a round is compared: the record is written for the attempt that finished, and a
 * retried round starts with new keys ({@code AdvertiseKeys}), so an {@code Unmask} sent before the site's last
 * {@code AdvertiseKeys} of that round belongs to an attempt that was aborted and left no record. A site the record
 * neither lists among its survivors or dropped sites nor among the revealers took no part in the finished attempt.
 */
final class UnmaskReveals {

    static final String UNMASK_RPC = "Unmask";
    static final String ADVERTISE_RPC = "AdvertiseKeys";

    /** The owners one Unmask message revealed shares of, by kind. */
    private record Revealed(SortedSet<String> selfMaskOf, SortedSet<String> maskingKeyOf) {

        String describe() {
            return "self-mask shares of " + selfMaskOf + ", masking-key shares of " + maskingKeyOf;
        }
    }

    private UnmaskReveals() {
    }

    /**
     * @param ours whether an egress line belongs to the round log's federation
     */
    static List<Disagreement> compare(LogRecords roundLog, LogRecords egress, String site,
                                      Predicate<LogRecords.Line> ours) {
        Map<Long, List<LogRecords.Line>> lastAttempt = lastAttemptUnmasks(egress, ours);
        List<Disagreement> found = new ArrayList<>();
        for (LogRecords.Line record : roundLog.ofType(RecordSchema.SECURE_AGGREGATION)) {
            Long round = record.number("round");
            Revealed logged = loggedReveal(record, site);
            boolean inRoster = listed(record, "survivors", site) || listed(record, "dropped", site);
            if (round == null || (logged == null && !inRoster)) {
                continue;
            }
            List<LogRecords.Line> sent = lastAttempt.getOrDefault(round, List.of());
            String where = "round log line " + record.line() + " (secure_aggregation of round " + round + ")";
            if (logged != null && sent.isEmpty()) {
                found.add(differ(site, round, where + " says " + site + " revealed " + logged.describe()
                        + ", but the site's egress log shows no Unmask sent for round " + round));
                continue;
            }
            for (LogRecords.Line s : sent) {
                Revealed actual = revealedBy(s);
                if (logged == null) {
                    found.add(differ(site, round, "egress log line " + s.line() + ": " + site + " sent Unmask for round "
                            + round + " revealing " + actual.describe() + ", but " + where + " lists no reveal "
                            + "from it: the coordinator received those shares without accounting for them (it may "
                            + "have refused the call as late; the shares reached it all the same)"));
                } else if (!logged.equals(actual)) {
                    found.add(differ(site, round, "egress log line " + s.line() + ": " + site + " sent Unmask for "
                            + "round " + round + " revealing " + actual.describe() + ", but " + where + " says it "
                            + "revealed " + logged.describe()));
                }
            }
        }
        return found;
    }

    private static Disagreement differ(String site, long round, String message) {
        return new Disagreement(Disagreement.Kind.UNMASK_REVEALS_DIFFER, site, (int) round, null, message);
    }

    /** Per round, the Unmask messages sent after the site's last AdvertiseKeys of that round. */
    private static Map<Long, List<LogRecords.Line>> lastAttemptUnmasks(LogRecords egress,
                                                                      Predicate<LogRecords.Line> ours) {
        Map<Long, List<LogRecords.Line>> unmasks = new HashMap<>();
        for (LogRecords.Line l : egress.ofType(EgressSchema.SENT)) {
            Map<String, Object> content = l.map("content");
            if (!ours.test(l) || content == null || !(content.get("round") instanceof Number n)) {
                continue;
            }
            long round = n.longValue();
            if (ADVERTISE_RPC.equals(l.text("rpc"))) {
                unmasks.put(round, new ArrayList<>()); // a new attempt: what the site revealed before is not its
            } else if (UNMASK_RPC.equals(l.text("rpc"))) {
                List<LogRecords.Line> sent = unmasks.computeIfAbsent(round, r -> new ArrayList<>());
                // a retried call is the same message: one of each is enough
                if (sent.stream().noneMatch(s -> revealedBy(s).equals(revealedBy(l)))) {
                    sent.add(l);
                }
            }
        }
        return unmasks;
    }

    private static Revealed revealedBy(LogRecords.Line sent) {
        Map<String, Object> c = sent.map("content");
        return new Revealed(owners(c.get("self_mask_shares"), "owner"), owners(c.get("masking_key_shares"), "owner"));
    }

    /** The reveal the record lists for {@code site}, or null when it lists none. */
    private static Revealed loggedReveal(LogRecords.Line record, String site) {
        if (!(record.fields().get("reveals") instanceof List<?> reveals)) {
            return null;
        }
        for (Object o : reveals) {
            if (o instanceof Map<?, ?> r && Objects.equals(site, r.get("site"))) {
                return new Revealed(names(r.get("self_mask_of")), names(r.get("masking_key_of")));
            }
        }
        return null;
    }

    private static boolean listed(LogRecords.Line record, String key, String site) {
        return record.fields().get(key) instanceof List<?> l && l.contains(site);
    }

    private static SortedSet<String> owners(Object shares, String key) {
        SortedSet<String> out = new TreeSet<>();
        if (shares instanceof List<?> list) {
            for (Object o : list) {
                if (o instanceof Map<?, ?> m && m.get(key) != null) {
                    out.add(String.valueOf(m.get(key)));
                }
            }
        }
        return out;
    }

    private static SortedSet<String> names(Object list) {
        SortedSet<String> out = new TreeSet<>();
        if (list instanceof List<?> l) {
            l.forEach(o -> out.add(String.valueOf(o)));
        }
        return out;
    }
}
