package org.fedmil.audit;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.TreeSet;

/**
 * What a survivor of a securely aggregated round signs in the consistency round: the survivor set the coordinator
 * told it, bound to the federation, round and signer. Defined here, beside the round-log checks, so that the sites
 * (through {@code org.fedmil.secagg}) and {@code fedmil audit verify} sign and check the very same bytes.
 */
public final class SurvivorSet {

    private SurvivorSet() {
    }

    /**
     * "fedmil/secagg/v1/survivor-set|site|federation|round|" and the survivors' names in name order, separated by
     * newlines. Site names hold neither '|' nor newlines, so no two different tuples give the same bytes.
     */
    public static byte[] signedBytes(String federationId, int round, String site, Collection<String> survivors) {
        return ("fedmil/secagg/v1/survivor-set|" + site + "|" + federationId + "|" + round + "|"
                + String.join("\n", new TreeSet<>(survivors))).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Signatures over one survivor set a site must see before revealing anything: t, and a majority of the sites
     * that hold its shares (the whole key roster under full SecAgg, its neighbourhood under SecAgg+), so that two
     * different sets cannot both collect enough signatures unless 2q − n of those sites signed both.
     */
    public static int quorum(int holders, int threshold) {
        return Math.max(threshold, holders / 2 + 1);
    }
}
