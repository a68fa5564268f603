package org.fedmil.audit;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a site countersigns with each update: the round-log head the coordinator sent it with the task (records and
 * the hash of the last), the head of its own egress log and of its privacy ledger at the moment of sending. The
 * coordinator keeps it in the {@code update_accepted} record, so the round log carries, in the sites' own
 * signatures, the hashes of its earlier records (a rewrite of them, even re-signed with the coordinator's real key,
 * no longer matches) and an outside anchor for each site's egress log and ledger (the coordinator's receipt of that
 * record pins them).
 *
 * @param logRecords       records of the round log in the head the site received (0 when it had none yet)
 * @param logLastSha256    hash of that head's last record ({@link RoundLog#GENESIS} when none)
 * @param egressRecords    records in the site's egress log when it sent this update
 * @param egressLastSha256 hash of the last of them
 * @param ledgerReleases   releases in the site's privacy ledger, this update's included (0 without DP)
 * @param ledgerHeadSha256 hash of the last ledger entry ({@link RoundLog#GENESIS} when none)
 */
public record SiteHeads(String federationId, String site, int round, long logRecords, String logLastSha256,
                        long egressRecords, String egressLastSha256, long ledgerReleases, String ledgerHeadSha256)
        implements Statement {

    public static final String KIND = "fedmil.site_heads.v1";

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public Map<String, Object> fields() {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("federation_id", federationId);
        f.put("site", site);
        f.put("round", round);
        f.put("log_records", logRecords);
        f.put("log_last_sha256", logLastSha256);
        f.put("egress_records", egressRecords);
        f.put("egress_last_sha256", egressLastSha256);
        f.put("ledger_releases", ledgerReleases);
        f.put("ledger_head_sha256", ledgerHeadSha256);
        return f;
    }

    public static SiteHeads parse(String json) {
        Map<String, Object> m = Statement.parse(json, KIND);
        return new SiteHeads(Statement.text(m, "federation_id"), Statement.text(m, "site"),
                (int) Statement.number(m, "round"), Statement.number(m, "log_records"),
                Statement.text(m, "log_last_sha256"), Statement.number(m, "egress_records"),
                Statement.text(m, "egress_last_sha256"), Statement.number(m, "ledger_releases"),
                Statement.text(m, "ledger_head_sha256"));
    }
}
