package org.fedmil.coordinator.config;

import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.round.SecAggGraphPolicy;
import org.fedmil.secagg.GraphDegreeRule;

/**
 * secure_aggregation_graph: when secure aggregation switches from full SecAgg to SecAgg+ (a sparse random
 * communication graph, docs/privacy.md), and the colluding fraction and dropout rate its degree is chosen for.
 * Unused unless secure_aggregation is true.
 *
 * @param sparseAboveSites  full SecAgg up to this many participants of a round, SecAgg+ above; default 20
 * @param colludingFraction γ: the fraction of sites assumed to collude with the coordinator; default 0.05
 * @param dropoutRate       δ: the fraction of sites assumed to drop out during a round; default 0.05
 * @param privacyBits       σ: privacy holds except with probability 2^−σ per round; default 40
 * @param completionBits    η: a round fails for want of shares with probability at most 2^−η; default 20
 */
public record SecureAggregationGraphSection(Integer sparseAboveSites, Double colludingFraction, Double dropoutRate,
                                            Integer privacyBits, Integer completionBits) {

    public SecureAggregationGraphSection {
        GraphDegreeRule d = GraphDegreeRule.DEFAULT;
        sparseAboveSites = sparseAboveSites == null ? SecAggGraphPolicy.DEFAULT.sparseAboveSites() : sparseAboveSites;
        colludingFraction = colludingFraction == null ? d.colludingFraction() : colludingFraction;
        dropoutRate = dropoutRate == null ? d.dropoutRate() : dropoutRate;
        privacyBits = privacyBits == null ? d.privacyBits() : privacyBits;
        completionBits = completionBits == null ? d.completionBits() : completionBits;
    }

    /** The defaults. */
    public static SecureAggregationGraphSection defaults() {
        return new SecureAggregationGraphSection(null, null, null, null, null);
    }

    /** @throws ConfigException naming the file and key of the first bad value and what it should be */
    void check(Path file) {
        require(file, sparseAboveSites >= 2, "sparse_above_sites", sparseAboveSites,
                "at least 2 (full SecAgg up to this many participants, SecAgg+ above)");
        require(file, colludingFraction >= 0 && colludingFraction < 1, "colluding_fraction", colludingFraction,
                "a fraction in [0, 1)");
        require(file, dropoutRate >= 0 && dropoutRate < 1, "dropout_rate", dropoutRate, "a fraction in [0, 1)");
        require(file, colludingFraction + dropoutRate < 1, "colluding_fraction", colludingFraction,
                "less than 1 − dropout_rate (" + (1 - dropoutRate) + "): some sites must be honest and stay");
        require(file, privacyBits >= 1 && privacyBits <= 128, "privacy_bits", privacyBits, "in 1..128");
        require(file, completionBits >= 1 && completionBits <= 128, "completion_bits", completionBits, "in 1..128");
    }

    public SecAggGraphPolicy policy() {
        return new SecAggGraphPolicy(sparseAboveSites,
                new GraphDegreeRule(colludingFraction, dropoutRate, privacyBits, completionBits));
    }

    private static void require(Path file, boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new ConfigException(file + ": key 'secure_aggregation_graph." + key + "' is " + value
                    + ", expected " + expected);
        }
    }
}
