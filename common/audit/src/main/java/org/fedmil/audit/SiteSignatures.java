package org.fedmil.audit;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.Map;
import org.fedmil.tls.PeerIdentity;

/**
 * The round log's site-signed parts: each {@code site_joined} record embeds the site's certificate, and each
 * {@code update_accepted} record the statement the site signed with that certificate's key. Checking them needs
 * only the consortium CA, so an auditor can confirm that every accepted update is one its site signed.
 */
final class SiteSignatures {

    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private SiteSignatures() {
    }

    /** Why the record's site part does not check, or null; remembers certificates of {@code site_joined}. */
    static String problem(Map<?, ?> record, Map<String, X509Certificate> siteCerts, X509Certificate ca) {
        String type = (String) record.get("type");
        Instant time = Instant.parse((String) record.get("time"));
        if (RecordSchema.SITE_JOINED.equals(type)) {
            if (!(record.get("site") instanceof String site) || !(record.get("site_cert") instanceof String pem)) {
                return "site_joined record without the site's name and certificate";
            }
            X509Certificate cert;
            try {
                cert = RoundLogVerifier.parseCertificate(pem);
            } catch (RuntimeException e) {
                return "the site certificate of '" + site + "' cannot be read: " + e.getMessage();
            }
            String chain = RoundLogVerifier.chainProblem(cert, ca, time, CLIENT_AUTH, "site");
            if (chain != null) {
                return chain;
            }
            String cn = PeerIdentity.of(cert).commonName();
            if (!cn.equals(site)) {
                return "site_joined names site '" + site + "' but embeds the certificate of '" + cn + "'";
            }
            siteCerts.put(site, cert);
            return joinProblem(record, site, cert);
        }
        if (!RecordSchema.UPDATE_ACCEPTED.equals(type)) {
            return null;
        }
        String site = String.valueOf(record.get("site"));
        X509Certificate cert = siteCerts.get(site);
        if (cert == null) {
            return "update_accepted from site '" + site + "', which no earlier site_joined record introduced";
        }
        if (!(record.get("site_statement") instanceof String text) || !(record.get("site_sig") instanceof String sig)) {
            return "update_accepted record without the site's signed statement";
        }
        String bad = Signatures.problem(cert.getPublicKey(), text.getBytes(StandardCharsets.UTF_8), sig,
                "site '" + site + "' (" + cert.getSubjectX500Principal() + ")");
        if (bad != null) {
            return "the site's signature on its update statement: " + bad;
        }
        UpdateStatement st;
        try {
            st = UpdateStatement.parse(text);
        } catch (IllegalArgumentException e) {
            return "the site's update statement cannot be read: " + e.getMessage();
        }
        if (!st.site().equals(site)) {
            return "the update statement was signed for site '" + st.site() + "', the record names '" + site + "'";
        }
        if (!(record.get("round") instanceof Number r) || r.intValue() != st.round()) {
            return "the record's round " + record.get("round") + " is not the round " + st.round()
                    + " the site signed";
        }
        if (!st.updateSha256().equals(record.get("update_sha256"))) {
            return "the record's update_sha256 is not the hash the site signed (" + st.updateSha256() + ")";
        }
        if (!(record.get("training_bags") instanceof Number b) || b.longValue() != st.trainingBags()) {
            return "the record's training_bags " + record.get("training_bags") + " is not the " + st.trainingBags()
                    + " the site signed";
        }
        return null;
    }

    /**
     * Why the declaration a {@code site_joined} record carries in the site's signature ({@code join_statement},
     * {@code join_sig}) does not check, or is not what the record says the site declared; null when it checks or
     * the record has none (a site agent that signed no declaration).
     */
    private static String joinProblem(Map<?, ?> record, String site, X509Certificate cert) {
        if (record.get("join_statement") == null && record.get("join_sig") == null) {
            return null;
        }
        if (!(record.get("join_statement") instanceof String text) || !(record.get("join_sig") instanceof String sig)) {
            return "site_joined record of '" + site + "' with a join statement but without the site's signature "
                    + "over it (both join_statement and join_sig are needed)";
        }
        String bad = Signatures.problem(cert.getPublicKey(), text.getBytes(StandardCharsets.UTF_8), sig,
                "site '" + site + "' (" + cert.getSubjectX500Principal() + ")");
        if (bad != null) {
            return "the site's signature on its join declaration: " + bad;
        }
        JoinStatement st;
        try {
            st = JoinStatement.parse(text);
        } catch (IllegalArgumentException e) {
            return "the site's join declaration cannot be read: " + e.getMessage();
        }
        if (!st.site().equals(site)) {
            return "the join declaration was signed for site '" + st.site() + "', the record names '" + site + "'";
        }
        long declared;
        try {
            declared = st.totalBags();
        } catch (ArithmeticException overflow) {
            return "the join declaration of '" + site + "' declares bag counts whose total overflows";
        }
        if (!(record.get("bags") instanceof Number b) || b.longValue() != declared) {
            return "the record's bags " + record.get("bags") + " is not the " + declared + " bags site '" + site
                    + "' signed in its join declaration " + st.bagsPerLabel();
        }
        return null;
    }

    /**
     * Why the {@code site_heads} an {@code update_accepted} record carries do not check, or null (also when there
     * are none): the site's signature, that they are this update's, and that the round-log head the site signed is
     * this log's record {@code log_records} as it is now ({@code hashes}: the hash of every earlier record). Raises
     * {@code cosigned[0]} to the largest head so vouched for.
     */
    static String headsProblem(Map<?, ?> record, Map<String, X509Certificate> siteCerts, java.util.List<String> hashes,
                               long[] cosigned) {
        if (!RecordSchema.UPDATE_ACCEPTED.equals(record.get("type")) || record.get("site_heads") == null) {
            return null;
        }
        String site = String.valueOf(record.get("site"));
        if (!(record.get("site_heads") instanceof String text) || !(record.get("site_heads_sig") instanceof String sig)) {
            return "update_accepted record with site_heads but without the site's signature over them";
        }
        X509Certificate cert = siteCerts.get(site);
        String bad = Signatures.problem(cert.getPublicKey(), text.getBytes(StandardCharsets.UTF_8), sig,
                "site '" + site + "' (" + cert.getSubjectX500Principal() + ")");
        if (bad != null) {
            return "the site's countersignature of its heads: " + bad;
        }
        SiteHeads heads;
        try {
            heads = SiteHeads.parse(text);
        } catch (IllegalArgumentException e) {
            return "the site's countersigned heads cannot be read: " + e.getMessage();
        }
        if (!heads.site().equals(site) || !(record.get("round") instanceof Number r) || r.intValue() != heads.round()) {
            return "the site's countersigned heads are site '" + heads.site() + "''s of round " + heads.round()
                    + ", the record is " + site + "'s of round " + record.get("round");
        }
        long n = heads.logRecords();
        if (n > hashes.size()) {
            return "site '" + site + "' countersigned a round-log head of " + n + " records, but only "
                    + hashes.size() + " precede this record: records were removed or the log was rewritten";
        }
        String actual = n == 0 ? RoundLog.GENESIS : hashes.get((int) n - 1);
        if (!actual.equals(heads.logLastSha256())) {
            return "site '" + site + "' countersigned record " + n + " of this log as " + heads.logLastSha256()
                    + ", but record " + n + " now hashes to " + actual + ": the log up to there was rewritten "
                    + "(edited, or re-signed, even with the coordinator's own key) after the site vouched for it";
        }
        cosigned[0] = Math.max(cosigned[0], n);
        return null;
    }
}
