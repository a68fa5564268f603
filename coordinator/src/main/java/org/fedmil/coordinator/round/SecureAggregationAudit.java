package org.fedmil.coordinator.round;

import java.util.List;
import org.fedmil.secagg.UnmaskReveal;

/**
 * What the round log keeps of a finished secure aggregation, so that an auditor can check the coordinator against
 * the sites: who was in the key roster, who survived and who was declared dropped, the threshold and how many
 * colluding sites it withstands, and what every site revealed when unmasking.
 *
 * @param colludersTolerated {@link org.fedmil.secagg.CollusionBound#toleratedColluders}: the most sites that can
 *                           collude with the coordinator without it learning one honest site's delta
 */
public record SecureAggregationAudit(int round, int invited, int threshold, int colludersTolerated,
                                     List<String> survivors, List<String> dropped, List<UnmaskReveal> reveals) {

    public SecureAggregationAudit {
        survivors = List.copyOf(survivors);
        dropped = List.copyOf(dropped);
        reveals = List.copyOf(reveals);
    }
}
