package org.fedmil.site.audit;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.audit.EgressSchema;
import org.fedmil.audit.RoundLog;

/**
 * The site's own record of everything it sends to the coordinator: {@code egress-log.jsonl} in the state folder,
 * signed with the site's key and hash-chained like the coordinator's round log ({@code fedmil audit verify} checks
 * both). Records are written ahead: a message is described, and forced to disk, before it is handed to the channel,
 * so a message may be described that a broken link then kept from arriving, but none leaves undescribed.
 */
public final class EgressLog implements AutoCloseable {

    public static final String FILE = "egress-log.jsonl";

    private final RoundLog log;
    private final String site;

    private EgressLog(RoundLog log, String site) {
        this.log = log;
        this.site = site;
    }

    /** Opens (creating if missing) the state folder's egress log and records that this agent started. */
    public static EgressLog open(Path stateDir, String site, PrivateKey key, X509Certificate cert,
                                 String softwareVersion) {
        RoundLog log = RoundLog.open(stateDir.resolve(FILE), key, cert, EgressSchema.EGRESS_LOG);
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("site", site);
        f.put("software_version", softwareVersion);
        log.tornTail().ifPresent(t -> f.put("torn_tail_cut", t));
        log.append(log.existed() ? EgressSchema.AGENT_STARTED : EgressSchema.EGRESS_LOG_OPENED, f);
        return new EgressLog(log, site);
    }

    public Path file() {
        return log.file();
    }

    public String site() {
        return site;
    }

    /** Records written and the hash of the last: what the site countersigns with each update. */
    public RoundLog.Entry head() {
        return log.head();
    }

    /** Appends a record of {@code type} (one of {@link EgressSchema}'s) and forces it to disk. */
    public void record(String type, Map<String, ?> fields) {
        log.append(type, fields);
    }

    @Override
    public void close() {
        log.close();
    }
}
