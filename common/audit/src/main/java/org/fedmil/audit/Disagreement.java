package org.fedmil.audit;

/**
 * One way a site's egress log and the coordinator's round log (or the statements the coordinator gave the site)
 * do not tell the same story.
 *
 * @param site   the site concerned, or null
 * @param round  the round concerned, or null
 * @param sha256 the update or record hash concerned, or null
 */
public record Disagreement(Kind kind, String site, Integer round, String sha256, String message) {

    /** The kinds of disagreement, each with what it means for the auditor. */
    public enum Kind {
        /** One of the two logs does not verify; the check ran on its verified part. */
        LOG_DOES_NOT_VERIFY,
        /** The site sent an update that the coordinator took (outcome OK), but the round log does not show it. */
        ACCEPTED_UPDATE_NOT_IN_LOG,
        /** The round log shows an accepted update from the site that the site's egress log never sent. */
        UPDATE_NEVER_SENT,
        /** The site's signed statement in the round log says something else than what the site sent. */
        STATEMENT_DIFFERS,
        /** A receipt does not verify or does not match the round log (cut off, rewritten, another record). */
        RECEIPT_DOES_NOT_MATCH,
        /** The egress log recorded a receipt whose file is gone. */
        RECEIPT_FILE_MISSING,
        /** A signed log head the site kept does not verify or is not of this federation. */
        HEAD_DOES_NOT_VERIFY,
        /** A log head the site received names more records than the round log holds. */
        LOG_TRUNCATED,
        /** A log head the site received names a different record hash than the round log holds at that seq. */
        LOG_FORKED,
        /** The site talked to a coordinator whose certificate is not the one that signs the round log. */
        COORDINATOR_CERTIFICATE_DIFFERS,
        /** The round log holds the site's countersigned egress-log head, and the egress log no longer reaches it. */
        EGRESS_TRUNCATED,
        /** The site's countersigned egress-log head names a record the egress log now holds with another hash. */
        EGRESS_FORKED,
        /**
         * What the round log's secure_aggregation record says the site revealed when unmasking (whose self-mask and
         * whose masking-key shares) is not what the site's egress log shows it sent.
         */
        UNMASK_REVEALS_DIFFER
    }

    /** One line for the command's output. */
    public String line() {
        StringBuilder b = new StringBuilder(kind.name());
        if (site != null) {
            b.append(" site=").append(site);
        }
        if (round != null) {
            b.append(" round=").append(round);
        }
        if (sha256 != null) {
            b.append(" sha256=").append(sha256);
        }
        return b.append(": ").append(message).toString();
    }
}
