package org.fedmil.coordinator.round;

import java.util.List;
import org.fedmil.secagg.SurvivorSetSignature;
import org.fedmil.secagg.UnmaskReveal;

/**
 * What the round log keeps of a finished secure aggregation, so that an auditor can check the coordinator against
 * the sites: who was in the key roster, who survived and who was declared dropped, the threshold and how many
 * colluding sites it withstands, and what every site revealed when unmasking.
 *
 * @param colludersTolerated {@link org.fedmil.secagg.CollusionBound#toleratedColluders}: the most sites that can
 *                           collude with the coordinator without it learning one honest site's delta; under SecAgg+
 *                           the most among the k + 1 holders of any one site's shares
 * @param graph              the communication graph: complete (full SecAgg) or SecAgg+'s sparse one
 * @param survivorSignatures the consistency round: each signer's signature over {@code survivors}, in site order
 */
public record SecureAggregationAudit(int round, int invited, int threshold, int colludersTolerated,
                                     List<String> survivors, List<String> dropped, List<UnmaskReveal> reveals,
                                     Graph graph, List<SurvivorSetSignature> survivorSignatures) {

    /**
     * What an auditor needs to draw the graph again ({@link org.fedmil.secagg.CommunicationGraph#of}) and compare.
     *
     * @param degree the configured k, 0 for full SecAgg
     * @param complete whether every roster site neighboured every other
     * @param roster the key roster the graph was drawn over, in name order
     * @param seed   hex SHA-256 the ring order was drawn from
     * @param digest hex SHA-256 of the edge list
     */
    public record Graph(int degree, boolean complete, List<String> roster, String seed, String digest) {
        public Graph {
            roster = List.copyOf(roster);
        }

        static Graph of(org.fedmil.secagg.CommunicationGraph g) {
            return new Graph(g.degree(), g.complete(), new java.util.TreeSet<>(g.ring()).stream().toList(),
                    g.seedHex(), g.digest());
        }
    }

    public SecureAggregationAudit {
        survivors = List.copyOf(survivors);
        dropped = List.copyOf(dropped);
        reveals = List.copyOf(reveals);
        survivorSignatures = List.copyOf(survivorSignatures);
    }
}
