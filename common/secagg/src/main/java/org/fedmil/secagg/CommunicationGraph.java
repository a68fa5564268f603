package org.fedmil.secagg;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Who masks with whom and holds whose shares in one round: SecAgg+'s sparse communication graph (Bell, Bonawitz,
 * Gascón, Lepoint &amp; Raykova, CCS 2020), a random Harary graph H(k, n). The n sites of the key roster are placed on
 * a ring in a pseudo-random order and each is joined to the k/2 sites on either side, so every site has exactly k
 * neighbours. The order is drawn from public data only, SHA-256 of (federation, round, k, the roster's site names in
 * name order), so every site, the coordinator and an auditor who has the round log compute the same graph and none
 * of them can choose it once the roster is fixed. With k ≥ n − 1 (or k = 0) the graph is complete: full SecAgg.
 *
 * <p>A site's neighbourhood is its neighbours and itself: it holds a share of its own secrets too, as in full SecAgg,
 * where the roster includes the site.
 */
public final class CommunicationGraph {

    private final int degree;
    private final List<String> ring;
    private final Map<String, SortedSet<String>> neighbourhoods = new TreeMap<>();
    private final byte[] seed;

    private CommunicationGraph(int degree, List<String> ring, byte[] seed) {
        this.degree = degree;
        this.ring = List.copyOf(ring);
        this.seed = seed;
        int n = ring.size();
        boolean complete = degree == 0 || degree >= n - 1;
        for (int i = 0; i < n; i++) {
            SortedSet<String> hood = new TreeSet<>();
            if (complete) {
                hood.addAll(ring);
            } else {
                for (int d = -degree / 2; d <= degree / 2; d++) {
                    hood.add(ring.get(Math.floorMod(i + d, n)));
                }
            }
            neighbourhoods.put(ring.get(i), Collections.unmodifiableSortedSet(hood));
        }
    }

    /**
     * The graph of the round {@code p} describes over the key roster {@code roster}: complete when
     * {@link SecAggParameters#graphDegree()} is 0 or at least n − 1.
     */
    public static CommunicationGraph of(SecAggParameters p, Collection<String> roster) {
        List<String> sites = new ArrayList<>(new TreeSet<>(roster));
        if (sites.size() != roster.size()) {
            throw new SecAggException("the key roster of round " + p.round() + " names a site twice: " + roster);
        }
        byte[] seed = seed(p, sites);
        if (p.graphDegree() == 0 || p.graphDegree() >= sites.size() - 1) {
            return new CommunicationGraph(p.graphDegree(), sites, seed);
        }
        // Fisher–Yates driven by AES-CTR of the public seed; the modulo bias is below n / 2^64 per draw
        long[] draws = MaskPrg.expand(seed, sites.size());
        for (int i = sites.size() - 1; i > 0; i--) {
            int j = (int) Long.remainderUnsigned(draws[i], i + 1);
            Collections.swap(sites, i, j);
        }
        return new CommunicationGraph(p.graphDegree(), sites, seed);
    }

    /** SHA-256 of "fedmil/secagg/v1/graph|federation|round|k" and the roster's names, one per line, in name order. */
    private static byte[] seed(SecAggParameters p, List<String> sortedSites) {
        MessageDigest sha = sha256();
        sha.update(p.binding("graph|" + p.graphDegree()));
        for (String s : sortedSites) {
            sha.update(("\n" + s).getBytes(StandardCharsets.UTF_8));
        }
        return sha.digest();
    }

    /** Whether every site neighbours every other (full SecAgg). */
    public boolean complete() {
        return degree == 0 || degree >= ring.size() - 1;
    }

    /** k as configured (0 for the complete graph); {@link #complete()} says whether it collapsed to complete. */
    public int degree() {
        return degree;
    }

    public int size() {
        return ring.size();
    }

    /** The site and its neighbours, in name order. */
    public SortedSet<String> neighbourhood(String site) {
        SortedSet<String> hood = neighbourhoods.get(site);
        if (hood == null) {
            throw new SecAggException(site + " is not in the key roster the communication graph was drawn over",
                    site);
        }
        return hood;
    }

    /** The sites in ring order (the drawn permutation); neighbours are within k/2 places of each other. */
    public List<String> ring() {
        return ring;
    }

    /** Hex SHA-256 of the seed the ring order was drawn from. */
    public String seedHex() {
        return HexFormat.of().formatHex(seed);
    }

    /**
     * Hex SHA-256 of the edge list ("a b" per line, a &lt; b, lines in order): what the round log records, so an
     * auditor who recomputes the graph from the roster can compare one value.
     */
    public String digest() {
        MessageDigest sha = sha256();
        for (Map.Entry<String, SortedSet<String>> e : neighbourhoods.entrySet()) {
            for (String v : e.getValue()) {
                if (e.getKey().compareTo(v) < 0) {
                    sha.update((e.getKey() + " " + v + "\n").getBytes(StandardCharsets.UTF_8));
                }
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
    }
}
