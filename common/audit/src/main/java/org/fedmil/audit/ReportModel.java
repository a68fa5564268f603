package org.fedmil.audit;

import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedmil.pki.Certificates;

/**
 * What the audit report shows, taken from a round log's records: the federation, its sites, each round's accepted
 * updates and resulting model, the refusals, held-out AUC and each site's privacy spend per round. Built once from
 * {@link LogRecords}, rendered by {@link ReportPage}; holds the log's strings as written (the page escapes them).
 */
public record ReportModel(Federation federation, List<SiteRow> sites, List<RoundRow> rounds,
                          List<Refusal> refusals, Map<String, List<Point>> epsilonBySite) {

    /**
     * @param verified  the log verified; false only for a report forced with {@code --unverified}
     * @param verdict   the verifier's one-line verdict
     * @param dp        the differential-privacy requirement of federation_created, e.g. "clip_norm=1.0, ...", or
     *                  null when the federation did not require DP
     */
    public record Federation(String id, String plannedRounds, String minSites, String model, String dp,
                             boolean verified, String verdict, int records, String headSha256, String created,
                             String finished, String coordinatorFingerprint) {
    }

    public record SiteRow(String site, String joined, String fingerprint, String bags, int accepted, int refused,
                          String left, String leftReason) {
    }

    public record UpdateRow(String site, String trainingBags, String updateSha256, Double l2Norm,
                            Double epsilonSpent) {
    }

    /** @param auc held-out AUC of the model this round made, null if the round made none */
    public record RoundRow(long round, String participants, List<UpdateRow> updates, String modelSha256,
                           Double auc) {
    }

    public record Refusal(String time, String site, String round, String code, String reason) {
    }

    public record Point(double x, double y) {
    }

    /** The held-out AUC per round, the initial model as round 0. */
    public List<Point> aucByRound() {
        List<Point> points = new ArrayList<>();
        for (RoundRow r : rounds) {
            if (r.auc() != null) {
                points.add(new Point(r.round(), r.auc()));
            }
        }
        return points;
    }

    public static ReportModel of(LogRecords log, RoundLogVerifier.Verdict verdict) {
        Map<String, SiteRow> sites = new LinkedHashMap<>();
        Map<Long, RoundRow> rounds = new TreeMap<>();
        List<Refusal> refusals = new ArrayList<>();
        Map<String, List<Point>> epsilon = new TreeMap<>();
        String id = null;
        String plannedRounds = null;
        String minSites = null;
        String model = null;
        String dp = null;
        String created = null;
        String finished = null;
        String fingerprint = null;
        for (LogRecords.Line l : log.lines()) {
            switch (l.type()) {
                case RecordSchema.FEDERATION_CREATED, RecordSchema.COORDINATOR_RESTARTED -> {
                    if (RecordSchema.FEDERATION_CREATED.equals(l.type())) {
                        id = l.text("federation_id");
                        plannedRounds = str(l.fields().get("rounds"));
                        minSites = str(l.fields().get("min_sites"));
                        model = str(l.fields().get("model"));
                        created = l.time();
                        Map<String, Object> d = l.map("dp");
                        dp = d == null ? null : describe(d);
                    }
                    fingerprint = fingerprint(l.text(RecordSchema.CERT));
                }
                case RecordSchema.SITE_JOINED -> {
                    String site = str(l.fields().get("site"));
                    SiteRow old = sites.get(site);
                    sites.put(site, new SiteRow(site, l.time(), fingerprint(l.text("site_cert")),
                            str(l.fields().get("bags")), old == null ? 0 : old.accepted(),
                            old == null ? 0 : old.refused(), null, null));
                }
                case RecordSchema.SITE_LEFT -> {
                    String site = str(l.fields().get("site"));
                    SiteRow s = sites.getOrDefault(site, new SiteRow(site, null, null, null, 0, 0, null, null));
                    sites.put(site, new SiteRow(s.site(), s.joined(), s.fingerprint(), s.bags(), s.accepted(),
                            s.refused(), l.time(), str(l.fields().get("reason"))));
                }
                case RecordSchema.ROUND_STARTED -> {
                    long round = nz(l.number("round"));
                    RoundRow r = rounds.get(round);
                    // a retried round keeps its updates; the participants of the latest attempt count
                    rounds.put(round, new RoundRow(round, str(l.fields().get("participants")),
                            r == null ? List.of() : r.updates(), r == null ? null : r.modelSha256(),
                            r == null ? null : r.auc()));
                }
                case RecordSchema.UPDATE_ACCEPTED -> {
                    String site = str(l.fields().get("site"));
                    long round = nz(l.number("round"));
                    Map<String, Object> privacy = l.map("privacy");
                    Double eps = privacy != null && privacy.get("epsilon_spent") instanceof Number n
                            ? n.doubleValue() : null;
                    RoundRow r = rounds.getOrDefault(round, new RoundRow(round, null, List.of(), null, null));
                    List<UpdateRow> updates = new ArrayList<>(r.updates());
                    updates.add(new UpdateRow(site, str(l.fields().get("training_bags")), l.text("update_sha256"),
                            l.real("l2_norm"), eps));
                    rounds.put(round, new RoundRow(round, r.participants(), updates, r.modelSha256(), r.auc()));
                    count(sites, site, 1, 0);
                    if (eps != null) {
                        epsilon.computeIfAbsent(site, k -> new ArrayList<>()).add(new Point(round, eps));
                    }
                }
                case RecordSchema.UPDATE_REFUSED -> {
                    String site = str(l.fields().get("site"));
                    refusals.add(new Refusal(l.time(), site, str(l.fields().get("round")), str(l.fields().get("code")),
                            str(l.fields().get("reason"))));
                    count(sites, site, 0, 1);
                }
                case RecordSchema.INITIAL_MODEL, RecordSchema.ROUND_AGGREGATED -> {
                    long round = RecordSchema.INITIAL_MODEL.equals(l.type()) ? 0 : nz(l.number("round"));
                    Map<String, Object> heldout = l.map("heldout");
                    Double auc = heldout != null && heldout.get("auc") instanceof Number n ? n.doubleValue() : null;
                    RoundRow r = rounds.getOrDefault(round, new RoundRow(round, null, List.of(), null, null));
                    rounds.put(round, new RoundRow(round, r.participants(), r.updates(), l.text("model_sha256"),
                            auc));
                }
                case RecordSchema.FEDERATION_FINISHED -> finished = l.time() + " (" + str(l.fields().get("reason"))
                        + ")";
                default -> {
                    // round_short, model_evaluated: not part of the report's tables
                }
            }
        }
        Federation federation = new Federation(id, plannedRounds, minSites, model, dp, verdict.ok(),
                verdict.ok() ? "verified: " + verdict.records() + " records, chain and signatures check"
                        : "NOT verified: line " + verdict.firstBadLine() + ": " + verdict.problem(),
                log.size(), verdict.head(), created, finished, fingerprint);
        return new ReportModel(federation, List.copyOf(sites.values()), List.copyOf(rounds.values()),
                List.copyOf(refusals), epsilon);
    }

    private static void count(Map<String, SiteRow> sites, String site, int accepted, int refused) {
        SiteRow s = sites.getOrDefault(site, new SiteRow(site, null, null, null, 0, 0, null, null));
        sites.put(site, new SiteRow(s.site(), s.joined(), s.fingerprint(), s.bags(), s.accepted() + accepted,
                s.refused() + refused, s.left(), s.leftReason()));
    }

    private static String describe(Map<String, Object> dp) {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(dp).forEach((k, v) -> b.append(b.isEmpty() ? "" : ", ").append(k).append('=').append(v));
        return b.toString();
    }

    private static String fingerprint(String pem) {
        if (pem == null) {
            return null;
        }
        try {
            X509Certificate cert = RoundLogVerifier.parseCertificate(pem);
            return Certificates.sha256Fingerprint(cert);
        } catch (RuntimeException e) {
            return "(unreadable certificate)";
        }
    }

    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    private static long nz(Long n) {
        return n == null ? -1 : n;
    }
}
