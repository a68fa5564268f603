package org.fedmil.secagg;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The coordinator's side of one secure-aggregation round, as a state machine: collect key advertisements, route
 * encrypted shares, collect masked inputs, collect unmasking shares, then rebuild the secrets it is allowed to and
 * strip the masks from the sum. Each {@code close…} step needs at least t participants left, otherwise the round is
 * aborted with a {@link SecAggException} and nothing is aggregated. The coordinator never holds a key that decrypts
 * a share, and for every site it learns either the self-mask seed (survivors) or the masking key (dropped), never
 * both, so no survivor's individual input is exposed.
 */
public final class SecAggServer {

    private enum Phase { ADVERTISING, SHARING, MASKING, UNMASKING, DONE, ABORTED }

    /** Bound on the t-subsets tried when shares disagree, so a flood of bad shares cannot stall the coordinator. */
    private static final int MAX_SUBSETS_TRIED = 2_000;

    private final SecAggParameters params;
    private Phase phase = Phase.ADVERTISING;
    private final NavigableMap<String, KeyAdvertisement> roster = new TreeMap<>(); // site-name order: RosterPoint
    private final Map<String, ShareBundle> bundles = new TreeMap<>();
    private final Map<String, MaskedInput> inputs = new TreeMap<>();
    private final Map<String, UnmaskResponse> responses = new TreeMap<>();
    private UnmaskRequest request;
    private CommunicationGraph graph;
    private final Map<String, SurvivorSetSignature> survivorSignatures = new TreeMap<>();

    public SecAggServer(SecAggParameters params) {
        this.params = params;
    }

    public SecAggParameters parameters() {
        return params;
    }

    /**
     * Step 0: a site's keys, with the certificate its TLS handshake proved. Refused unless the site signed them with
     * that certificate's key: every honest site checks every roster entry and withdraws from a round whose roster
     * has one that does not check, so one bad advertisement let through would stop the round for all.
     */
    public synchronized void receive(KeyAdvertisement a) {
        expect(Phase.ADVERTISING, "accept key advertisements");
        if (a.encryptionKey().length != X25519KeyPair.KEY_BYTES || a.maskingKey().length != X25519KeyPair.KEY_BYTES) {
            throw new SecAggException(a.site() + " advertised a key that is not " + X25519KeyPair.KEY_BYTES
                    + " bytes", a.site());
        }
        String unsigned = RosterAuthentication.signatureProblem(params, a);
        if (unsigned != null) {
            throw new SecAggException(a.site() + "'s key advertisement for round " + params.round() + " is refused: "
                    + unsigned + "; the site must sign both keys with its certificate's key", a.site());
        }
        if (roster.containsKey(a.site())) {
            throw new SecAggException(a.site() + " advertised keys twice in round " + params.round(), a.site());
        }
        if (roster.size() >= params.invitedSites()) {
            throw new SecAggException("round " + params.round() + " already has keys of all "
                    + params.invitedSites() + " invited sites; refused " + a.site(), a.site());
        }
        roster.put(a.site(), a);
    }

    /** End of step 0: the key roster (U1) every site gets, or an abort when fewer than t advertised. */
    public synchronized List<KeyAdvertisement> closeAdvertising() {
        expect(Phase.ADVERTISING, "close key advertising");
        requireThreshold(roster.size(), "sites advertised keys");
        graph = CommunicationGraph.of(params, roster.keySet());
        phase = Phase.SHARING;
        return List.copyOf(roster.values());
    }

    /** Step 1: a site's encrypted shares, one for every roster site. */
    public synchronized void receive(ShareBundle b) {
        expect(Phase.SHARING, "accept shares");
        if (!roster.containsKey(b.site())) {
            throw new SecAggException(b.site() + " sent shares but did not advertise keys", b.site());
        }
        if (bundles.containsKey(b.site())) {
            throw new SecAggException(b.site() + " sent shares twice in round " + params.round(), b.site());
        }
        Set<String> to = new TreeSet<>();
        for (EncryptedShare s : b.shares()) {
            if (!s.from().equals(b.site())) {
                throw new SecAggException(b.site() + " sent a share claiming to be from " + s.from(), b.site());
            }
            to.add(s.to());
        }
        Set<String> hood = graph.neighbourhood(b.site());
        if (!to.equals(hood) || b.shares().size() != hood.size()) {
            throw new SecAggException(b.site() + " sent shares for " + to + ", expected exactly one for each of "
                    + hood, b.site());
        }
        if (b.selfMaskCommitment().length != 32) {
            throw new SecAggException(b.site() + " sent a self-mask commitment that is not a SHA-256", b.site());
        }
        bundles.put(b.site(), b);
    }

    /** End of step 1: the ciphertexts to deliver, by recipient (every site of U2 gets one from each site of U2). */
    public synchronized Map<String, List<EncryptedShare>> closeSharing() {
        expect(Phase.SHARING, "close sharing");
        requireThreshold(bundles.size(), "sites shared keys");
        Map<String, List<EncryptedShare>> routed = new TreeMap<>();
        for (String v : bundles.keySet()) {
            routed.put(v, new ArrayList<>());
        }
        for (ShareBundle b : bundles.values()) {
            for (EncryptedShare s : b.shares()) {
                List<EncryptedShare> box = routed.get(s.to());
                if (box != null) {
                    box.add(s);
                }
            }
        }
        phase = Phase.MASKING;
        Map<String, List<EncryptedShare>> out = new TreeMap<>();
        routed.forEach((k, v) -> out.put(k, List.copyOf(v)));
        return out;
    }

    /** Step 2: a site's masked input. */
    public synchronized void receive(MaskedInput m) {
        expect(Phase.MASKING, "accept masked inputs");
        if (!bundles.containsKey(m.site())) {
            throw new SecAggException(m.site() + " sent a masked input but did not share keys", m.site());
        }
        if (inputs.containsKey(m.site())) {
            throw new SecAggException(m.site() + " sent its masked input twice", m.site());
        }
        if (m.masked().length != params.length()) {
            throw new SecAggException(m.site() + " sent " + m.masked().length + " values, round " + params.round()
                    + " expects " + params.length(), m.site());
        }
        if (m.bags() < 1 || m.bags() > params.maxBags()) {
            throw new SecAggException(m.site() + " claims " + m.bags() + " bags, outside 1.." + params.maxBags()
                    + " the encoding was sized for", m.site());
        }
        inputs.put(m.site(), m);
    }

    /** End of step 2: whose shares to reveal, or an abort when fewer than t inputs arrived. */
    public synchronized UnmaskRequest closeMasking() {
        expect(Phase.MASKING, "close masking");
        requireThreshold(inputs.size(), "sites sent masked inputs");
        List<String> dropped = new ArrayList<>();
        for (String v : bundles.keySet()) {
            if (!inputs.containsKey(v)) {
                dropped.add(v);
            }
        }
        request = new UnmaskRequest(List.copyOf(inputs.keySet()), dropped);
        requireNeighboursSurvived(bundles.keySet());
        phase = Phase.UNMASKING;
        return request;
    }

    /**
     * The consistency round: a survivor's signature over the survivor set of {@link #closeMasking}, checked against
     * the certificate its TLS handshake proved (as for key advertisements) before it is forwarded to anyone.
     */
    public synchronized void receive(SurvivorSetSignature s) {
        expect(Phase.UNMASKING, "accept survivor-set signatures");
        if (!inputs.containsKey(s.site())) {
            throw new SecAggException(s.site() + " signed the survivor set but is not a survivor", s.site());
        }
        String bad = RosterAuthentication.survivorSignatureOnly(params, request.survivors(), s);
        if (bad != null) {
            throw new SecAggException(s.site() + "'s signature over the survivor set of round " + params.round()
                    + " is refused: " + bad, s.site());
        }
        if (survivorSignatures.putIfAbsent(s.site(), s) != null) {
            throw new SecAggException(s.site() + " signed the survivor set twice", s.site());
        }
    }

    /** The survivor-set signatures collected so far, in site order: what every survivor checks before unmasking. */
    public synchronized List<SurvivorSetSignature> survivorSignatures() {
        return List.copyOf(survivorSignatures.values());
    }

    /**
     * The signatures {@code site} checks before it unmasks: those of the holders of its shares (every survivor under
     * full SecAgg, its neighbours under SecAgg+), in site order.
     */
    public synchronized List<SurvivorSetSignature> survivorSignaturesFor(String site) {
        Set<String> hood = graph.neighbourhood(site);
        return survivorSignatures.values().stream().filter(s -> hood.contains(s.site())).toList();
    }

    /** Whether {@code site} holds enough signatures to unmask ({@link SecAggClient#consistencyQuorum}). */
    public synchronized boolean consistencyQuorumMet(String site) {
        return survivorSignaturesFor(site).size()
                >= SecAggClient.consistencyQuorum(graph.neighbourhood(site).size(), params.threshold());
    }

    /** Step 3: a survivor's shares. */
    public synchronized void receive(UnmaskResponse r) {
        expect(Phase.UNMASKING, "accept unmasking shares");
        if (!inputs.containsKey(r.site())) {
            throw new SecAggException(r.site() + " sent unmasking shares but is not a survivor", r.site());
        }
        if (responses.containsKey(r.site())) {
            throw new SecAggException(r.site() + " sent unmasking shares twice", r.site());
        }
        Set<String> hood = graph.neighbourhood(r.site());
        Set<String> seedsAsked = new TreeSet<>(request.survivors());
        seedsAsked.retainAll(hood);
        Set<String> keysAsked = new TreeSet<>(request.dropped());
        keysAsked.retainAll(hood);
        if (!r.selfMaskShares().keySet().equals(seedsAsked) || !r.maskingKeyShares().keySet().equals(keysAsked)) {
            throw new SecAggException(r.site() + " answered for other sites than asked", r.site());
        }
        int point = pointOf(r.site());
        for (Shamir.Share s : r.selfMaskShares().values()) {
            if (s.x() != point) {
                throw new SecAggException(r.site() + " sent a share at point " + s.x() + ", its point is " + point,
                        r.site());
            }
        }
        for (Shamir.Share s : r.maskingKeyShares().values()) {
            if (s.x() != point) {
                throw new SecAggException(r.site() + " sent a share at point " + s.x() + ", its point is " + point,
                        r.site());
            }
        }
        responses.put(r.site(), r);
    }

    /**
     * End of step 3: rebuild each dropped site's masking key (checked against its advertised public key) and each
     * survivor's self-mask seed (checked against its commitment), and strip all masks from the sum.
     */
    public synchronized SecAggResult finish() {
        expect(Phase.UNMASKING, "finish");
        requireThreshold(responses.size(), "survivors sent unmasking shares");
        Map<String, String> bad = new TreeMap<>();
        long[] sum = new long[params.length()];
        long bags = 0;
        for (MaskedInput m : inputs.values()) {
            long[] y = m.masked();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += y[i];
            }
            bags += m.bags();
        }
        for (String v : request.dropped()) {
            byte[] advertised = roster.get(v).maskingKey();
            byte[] sk = rebuild(v, "masking key", X25519KeyPair.KEY_BYTES, true,
                    key -> Arrays.equals(X25519KeyPair.fromPrivate(key).publicKey(), advertised), bad);
            X25519KeyPair dropped = X25519KeyPair.fromPrivate(sk);
            for (String u : request.survivors()) {
                if (!graph.neighbourhood(v).contains(u)) {
                    continue;
                }
                byte[] seed = SecAggClient.pairwiseSeed(dropped, roster.get(u).maskingKey(), u, params);
                // u added sign(u, v) · PRG(s_uv); take it back out.
                MaskPrg.addMask(sum, seed, u.compareTo(v) < 0 ? -1 : +1);
            }
        }
        for (String u : request.survivors()) {
            byte[] commitment = bundles.get(u).selfMaskCommitment();
            byte[] seed = rebuild(u, "self-mask seed", 32, false,
                    s -> Arrays.equals(SecAggClient.selfMaskCommitment(s, u, params), commitment), bad);
            MaskPrg.addMask(sum, seed, -1);
        }
        phase = Phase.DONE;
        return new SecAggResult(sum, bags, request.survivors(), request.dropped(), bad, params);
    }

    /**
     * Every site whose masks must come off (a survivor's self mask, a dropped site's pairwise masks) needs t
     * surviving holders of its shares in its neighbourhood; checked before anyone is asked to reveal anything.
     */
    private void requireNeighboursSurvived(Set<String> owners) {
        for (String owner : owners) {
            Set<String> holders = new TreeSet<>(graph.neighbourhood(owner));
            holders.retainAll(inputs.keySet());
            if (holders.size() < params.threshold()) {
                phase = Phase.ABORTED;
                String kind = inputs.containsKey(owner) ? "survivor" : "dropped site";
                throw new SecAggException("round " + params.round() + " of " + params.federationId() + ": " + kind
                        + " " + owner + " has only " + holders.size() + " surviving sites " + holders + " in its "
                        + "neighbourhood " + graph.neighbourhood(owner) + ", fewer than the threshold t="
                        + params.threshold() + " needed to rebuild its " + (inputs.containsKey(owner)
                        ? "self-mask seed" : "masking key") + "; aborting the secure aggregation, nothing is "
                        + "revealed or aggregated (raise the graph degree, or expect fewer dropouts)");
            }
        }
    }

    /** The round's communication graph, once the key roster is closed. */
    public synchronized CommunicationGraph graph() {
        if (graph == null) {
            throw new IllegalStateException("the communication graph of round " + params.round() + " is drawn when "
                    + "key advertising closes");
        }
        return graph;
    }

    /** Aborts the round from outside (a deadline passed); later calls fail. */
    public synchronized void abort() {
        phase = Phase.ABORTED;
    }

    /** Sites that advertised keys, shared keys, and sent masked inputs so far (for progress and the round log). */
    public synchronized List<String> advertised() {
        return List.copyOf(roster.keySet());
    }

    public synchronized List<String> shared() {
        return List.copyOf(bundles.keySet());
    }

    public synchronized List<String> masked() {
        return List.copyOf(inputs.keySet());
    }

    /** What each site that answered the unmask step revealed, in site order. */
    public synchronized List<UnmaskReveal> reveals() {
        List<UnmaskReveal> out = new ArrayList<>();
        for (UnmaskResponse r : responses.values()) {
            out.add(new UnmaskReveal(r.site(), List.copyOf(r.selfMaskShares().keySet()),
                    List.copyOf(r.maskingKeyShares().keySet())));
        }
        return out;
    }

    public synchronized List<String> unmasked() {
        return List.copyOf(responses.keySet());
    }

    private byte[] rebuild(String owner, String what, int bytes, boolean maskingKey, Predicate<byte[]> valid,
                           Map<String, String> bad) {
        List<String> helpers = new ArrayList<>();
        List<Shamir.Share> shares = new ArrayList<>();
        for (UnmaskResponse r : responses.values()) {
            Shamir.Share s = maskingKey ? r.maskingKeyShares().get(owner) : r.selfMaskShares().get(owner);
            if (s != null) {
                helpers.add(r.site());
                shares.add(s);
            }
        }
        int t = params.threshold();
        if (shares.size() < t) {
            phase = Phase.ABORTED;
            throw new SecAggException("round " + params.round() + " of " + params.federationId() + ": only "
                    + shares.size() + " of " + owner + "'s neighbours " + helpers + " sent shares of its " + what
                    + ", fewer than the threshold t=" + t + " of its neighbourhood " + graph.neighbourhood(owner)
                    + "; its masks cannot be removed: aborting, nothing is aggregated");
        }
        int[] idx = new int[t];
        for (int i = 0; i < t; i++) {
            idx[i] = i;
        }
        for (int tried = 0; tried < MAX_SUBSETS_TRIED; tried++) {
            List<Shamir.Share> subset = new ArrayList<>(t);
            int[] points = new int[t];
            for (int k = 0; k < t; k++) {
                subset.add(shares.get(idx[k]));
                points[k] = shares.get(idx[k]).x();
            }
            Optional<byte[]> secret = Shamir.combine(subset, weights(points, 0), bytes);
            if (secret.isPresent() && valid.test(secret.get())) {
                java.util.Set<Integer> inSubset = new java.util.HashSet<>();
                for (int i : idx) {
                    inSubset.add(i);
                }
                for (int i = 0; i < shares.size(); i++) {
                    Shamir.Share s = shares.get(i);
                    // a share outside the subset must lie on the polynomial the subset defines
                    if (!inSubset.contains(i) && !Shamir.interpolate(subset, weights(points, s.x())).equals(s.y())) {
                        bad.merge(helpers.get(i), "share of " + owner + "'s " + what + " is off its polynomial",
                                (a, b) -> a + "; " + b);
                    }
                }
                return secret.get();
            }
            if (!nextCombination(idx, shares.size())) {
                break;
            }
        }
        phase = Phase.ABORTED;
        throw new SecAggException("round " + params.round() + ": the " + shares.size() + " shares of " + owner + "'s "
                + what + " do not rebuild the committed value from any " + t + " of them: some helper sent a bad "
                + "share; aborting, nothing is aggregated");
    }

    /** Lagrange weights by helper points and target, shared by every secret rebuilt in this round. */
    private final Map<String, java.math.BigInteger[]> weightCache = new java.util.HashMap<>();

    private java.math.BigInteger[] weights(int[] points, int x) {
        return weightCache.computeIfAbsent(Arrays.toString(points) + "@" + x, k -> Shamir.lagrange(points, x));
    }

    private static boolean nextCombination(int[] idx, int n) {
        int k = idx.length;
        int i = k - 1;
        while (i >= 0 && idx[i] == n - k + i) {
            i--;
        }
        if (i < 0) {
            return false;
        }
        idx[i]++;
        for (int j = i + 1; j < k; j++) {
            idx[j] = idx[j - 1] + 1;
        }
        return true;
    }

    private int pointOf(String s) {
        return RosterPoint.of(roster.navigableKeySet(), s, params.round());
    }

    private void requireThreshold(int count, String what) {
        if (count < params.threshold()) {
            phase = Phase.ABORTED;
            throw new SecAggException("round " + params.round() + " of " + params.federationId() + ": only " + count
                    + " " + what + ", fewer than the threshold t=" + params.threshold() + "; aborting the secure "
                    + "aggregation, nothing is aggregated");
        }
    }

    private void expect(Phase expected, String step) {
        if (phase != expected) {
            throw new IllegalStateException("the coordinator cannot " + step + " in round " + params.round()
                    + " now: the secure aggregation is at step " + phase + ", expected " + expected);
        }
    }
}
