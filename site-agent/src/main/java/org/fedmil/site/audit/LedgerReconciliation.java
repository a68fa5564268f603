package org.fedmil.site.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.fedmil.audit.EgressSchema;
import org.fedmil.audit.SiteHeads;
import org.fedmil.privacy.PrivacyLedger;

/**
 * At agent start, holds the privacy ledger against the site's signed egress log: every update the site sent carried
 * its ledger's head ({@link SiteHeads}, described in the egress log before it left), so the ledger must still hold
 * that many releases, ending in that hash. A ledger that is missing, shorter, or another ledger than the one the site
 * sent from (deleted, restored from an old copy, replaced) would give the site's data a fresh budget: the agent
 * refuses to start, and says how to recover.
 */
public final class LedgerReconciliation {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The ledger does not hold what the egress log says the site released. */
    public static final class Mismatch extends IllegalStateException {
        Mismatch(String message) {
            super(message);
        }
    }

    /** The last ledger head the egress log shows the site sent, and the line that shows it. */
    record Sent(SiteHeads heads, int line) {
    }

    private LedgerReconciliation() {
    }

    /**
     * Throws {@link Mismatch} when the ledger in {@code stateDir} is behind the head the egress log last sent.
     * Nothing to compare (no egress log, or no update that carried a ledger head) passes.
     */
    public static void check(Path stateDir, PrivacyLedger.Seal seal) {
        Path egressFile = stateDir.resolve(EgressLog.FILE);
        Optional<Sent> last = lastSentHead(egressFile);
        if (last.isEmpty() || last.get().heads().ledgerReleases() == 0) {
            return;
        }
        SiteHeads h = last.get().heads();
        Path ledgerFile = stateDir.resolve(PrivacyLedger.FILE_NAME);
        String shown = egressFile + " line " + last.get().line() + " shows that this site sent an update of "
                + "federation '" + h.federationId() + "' round " + h.round() + " when its privacy ledger held "
                + h.ledgerReleases() + " releases ending in " + h.ledgerHeadSha256();
        if (!Files.exists(ledgerFile)) {
            throw new Mismatch(shown + ", but the ledger " + ledgerFile + " is missing. " + recovery(h, ledgerFile));
        }
        PrivacyLedger ledger;
        try {
            ledger = PrivacyLedger.read(ledgerFile, seal);
        } catch (IOException e) {
            throw new Mismatch(shown + ", but the ledger cannot be read: " + e.getMessage() + " "
                    + recovery(h, ledgerFile));
        }
        PrivacyLedger.Head now = ledger.head();
        if (now.releases() < h.ledgerReleases()) {
            throw new Mismatch(shown + ", but the ledger " + ledgerFile + " holds only " + now.releases()
                    + " releases: it was truncated or rolled back to an older copy. " + recovery(h, ledgerFile));
        }
        PrivacyLedger.Head then = ledger.headAt((int) h.ledgerReleases());
        if (!then.sha256().equals(h.ledgerHeadSha256())) {
            throw new Mismatch(shown + ", but the ledger's release " + h.ledgerReleases() + " hashes to "
                    + then.sha256() + ": it is another ledger than the one this site sent from (replaced, or an "
                    + "older copy). " + recovery(h, ledgerFile));
        }
    }

    private static String recovery(SiteHeads h, Path ledgerFile) {
        return "The agent does not start, because a ledger behind the releases already sent would give the site's "
                + "data a fresh privacy budget. Restore " + ledgerFile.getFileName() + " from a backup that holds "
                + "at least " + h.ledgerReleases() + " releases ending in "
                + h.ledgerHeadSha256() + ", then start again. Without such a copy the spend cannot be rebuilt by the "
                + "agent: starting over in a new state folder restarts the budget, which only the data controller "
                + "may decide (see docs/privacy.md, \"The ledger cannot be reset\")";
    }

    /** The ledger head in the last sent update that carried one. */
    static Optional<Sent> lastSentHead(Path egressFile) {
        if (!Files.exists(egressFile)) {
            return Optional.empty();
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(egressFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the egress log " + egressFile + ": " + e.getMessage(), e);
        }
        Sent last = null;
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (!line.contains("\"site_heads\"")) {
                continue;
            }
            JsonNode record;
            try {
                record = JSON.readTree(line);
            } catch (IOException e) {
                continue; // a torn last line; `fedmil audit verify` judges the log itself
            }
            JsonNode statement = record.path("content").path("site_heads").path("statement");
            if (EgressSchema.SENT.equals(record.path("type").asText()) && statement.isTextual()) {
                try {
                    last = new Sent(SiteHeads.parse(statement.asText()), i + 1);
                } catch (IllegalArgumentException e) {
                    // not ours to judge here: the statement's signature is checked by `fedmil audit`
                }
            }
        }
        return Optional.ofNullable(last);
    }
}
