package org.fedmil.audit;

import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The consistency round as the round log keeps it: a {@code secure_aggregation} record carries, in
 * {@code survivor_signatures}, each survivor's signature over the survivor set it was told. Checked with the site
 * certificates of the {@code site_joined} records (themselves checked against the consortium CA), so an auditor
 * with only the CA certificate confirms that a quorum of sites signed exactly the logged survivor set, and that no
 * site revealed unmasking shares without having signed it.
 */
final class SurvivorSetSignatures {

    private SurvivorSetSignatures() {
    }

    /** Why the record's survivor-set signatures do not check, or null (also for records of other types). */
    static String problem(Map<?, ?> record, String federationId, Map<String, X509Certificate> siteCerts) {
        if (!RecordSchema.SECURE_AGGREGATION.equals(record.get("type"))) {
            return null;
        }
        if (!(record.get("round") instanceof Number roundNumber) || !(record.get("survivors") instanceof List<?> sv)
                || !(record.get("threshold") instanceof Number threshold)) {
            return "secure_aggregation record without its round, survivors and threshold";
        }
        int round = roundNumber.intValue();
        List<String> survivors = sv.stream().map(String::valueOf).toList();
        if (!(record.get("survivor_signatures") instanceof List<?> signatures)) {
            return "secure_aggregation record of round " + round + " has no list of survivor-set signatures";
        }
        Set<String> signers = new TreeSet<>();
        for (Object o : signatures) {
            String bad = signatureProblem(o, federationId, round, survivors, siteCerts, signers);
            if (bad != null) {
                return "round " + round + "'s survivor-set signatures: " + bad;
            }
        }
        int quorum = quorum(record, threshold.intValue());
        if (signers.size() < quorum) {
            return "round " + round + " was unmasked with " + signers.size() + " survivor-set signatures " + signers
                    + ", fewer than the " + quorum + " the sites require before revealing (threshold "
                    + threshold + ", and a majority of the sites holding each site's shares): the sites did not "
                    + "all agree on the logged survivor set";
        }
        if (record.get("reveals") instanceof List<?> reveals) {
            for (Object r : reveals) {
                Object site = r instanceof Map<?, ?> m ? m.get("site") : null;
                if (site != null && !signers.contains(String.valueOf(site))) {
                    return "round " + round + ": site '" + site + "' is recorded as revealing unmasking shares, "
                            + "but its signature over the survivor set is not in the record (a site reveals only "
                            + "after signing it)";
                }
            }
        }
        return null;
    }

    /** The quorum over the whole roster (full SecAgg) or over the k + 1 holders of any one site's shares (SecAgg+). */
    private static int quorum(Map<?, ?> record, int threshold) {
        if (record.get("graph") instanceof Map<?, ?> g && "secagg+".equals(g.get("kind"))
                && g.get("degree") instanceof Number k) {
            return SurvivorSet.quorum(k.intValue() + 1, threshold);
        }
        int holders = record.get("invited") instanceof Number n ? n.intValue() : 0;
        return SurvivorSet.quorum(holders, threshold);
    }

    private static String signatureProblem(Object o, String federationId, int round, List<String> survivors,
                                           Map<String, X509Certificate> siteCerts, Set<String> signers) {
        if (!(o instanceof Map<?, ?> entry) || !(entry.get("site") instanceof String site)
                || !(entry.get("sig") instanceof String sig)) {
            return "an entry without its site and sig";
        }
        if (!survivors.contains(site)) {
            return "site '" + site + "' signed, but is not among the logged survivors " + survivors;
        }
        if (!signers.add(site)) {
            return "site '" + site + "' is listed twice";
        }
        X509Certificate cert = siteCerts.get(site);
        if (cert == null) {
            return "site '" + site + "' signed, but no earlier site_joined record introduced its certificate";
        }
        String bad = Signatures.problem(cert.getPublicKey(),
                SurvivorSet.signedBytes(federationId, round, site, survivors), sig,
                "site '" + site + "' (" + cert.getSubjectX500Principal() + ")");
        return bad == null ? null : bad + " over the logged survivor set " + survivors
                + " (the signature is forged, or the site signed another set)";
    }
}
