package org.fedmil.secagg;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.fedmil.privacy.DistributedDiscreteGaussian;

/**
 * One site's side of one secure-aggregation round (Bonawitz et al. 2017, honest-but-curious variant), as a state
 * machine driven by the messages the coordinator relays: {@link #advertise}, {@link #shareKeys},
 * {@link #receiveShares}, {@link #maskInput}, {@link #unmask}, in that order. No network: the caller carries the
 * messages. Each call checks what it is given and throws {@link SecAggException} rather than reveal a secret the
 * protocol does not allow.
 */
public final class SecAggClient {

    private enum Phase { NEW, ADVERTISED, SHARED, RECEIVED, MASKED, DONE, WITHDRAWN }

    private final String site;
    private final SecAggParameters params;
    private final SecureRandom random;
    private final RosterAuthentication authentication;
    private final X25519KeyPair encryptionKeys;
    private final X25519KeyPair maskingKeys;
    private final byte[] selfMaskSeed = new byte[32];
    private Phase phase = Phase.NEW;
    /** U1: every site that advertised keys, in point order (x = index + 1). */
    private final NavigableMap<String, KeyAdvertisement> roster = new TreeMap<>(); // site-name order: RosterPoint
    /** Shares other sites sent this site, by owner: [masking key share, self-mask share]. U2 = its key set. */
    private final Map<String, Shamir.Share[]> held = new TreeMap<>();
    private Set<String> maskedWith = Set.of();
    /** This site and its neighbours in the round's communication graph: all of the roster under full SecAgg. */
    private Set<String> neighbourhood = Set.of();
    private int clamped;
    /** The survivor set this site signed in the consistency round, or null before it. */
    private Set<String> signedSurvivors;

    /**
     * @param authentication signs this site's keys and checks every roster entry; its certificate must name
     *                       {@code site}
     */
    public SecAggClient(String site, SecAggParameters params, RosterAuthentication authentication,
                        SecureRandom random) {
        if (!authentication.siteName().equals(site)) {
            throw new IllegalArgumentException("secure aggregation for site '" + site + "' with the certificate of '"
                    + authentication.siteName() + "': the keys would be signed for another site");
        }
        this.site = site;
        this.params = params;
        this.random = random;
        this.authentication = authentication;
        this.encryptionKeys = X25519KeyPair.generate(random);
        this.maskingKeys = X25519KeyPair.generate(random);
        random.nextBytes(selfMaskSeed);
    }

    public String site() {
        return site;
    }

    public SecAggParameters parameters() {
        return params;
    }

    /** Step 0: this round's fresh public keys, signed with this site's certificate key. */
    public KeyAdvertisement advertise() {
        expect(Phase.NEW, "advertise");
        phase = Phase.ADVERTISED;
        return authentication.sign(params, site, encryptionKeys.publicKey(), maskingKeys.publicKey());
    }

    /**
     * Step 1: check every roster entry of this site's neighbourhood (all of the roster under full SecAgg) is signed by
     * its site's consortium certificate, then split the masking private key and self-mask seed t-of-n over the
     * neighbourhood and encrypt each share.
     *
     * @throws SecAggException naming the site whose entry does not check, before any secret is derived or shared
     */
    public ShareBundle shareKeys(List<KeyAdvertisement> advertised) {
        expect(Phase.ADVERTISED, "share keys");
        for (KeyAdvertisement a : advertised) {
            if (roster.put(a.site(), a) != null) {
                throw new SecAggException("key roster of round " + params.round() + " lists " + a.site() + " twice");
            }
        }
        if (roster.containsKey(site)) {
            neighbourhood = CommunicationGraph.of(params, roster.keySet()).neighbourhood(site);
            // only neighbours' keys are used, so only theirs are checked: O(k) signatures under SecAgg+, not O(K)
            List<KeyAdvertisement> used = new ArrayList<>();
            for (String v : neighbourhood) {
                used.add(roster.get(v));
            }
            try {
                authentication.verify(params, used);
            } catch (SecAggException e) {
                // a coordinator that substituted one key will not get a second try with another roster this round
                phase = Phase.WITHDRAWN;
                throw e;
            }
        }
        KeyAdvertisement mine = roster.get(site);
        if (mine == null || !java.util.Arrays.equals(mine.maskingKey(), maskingKeys.publicKey())
                || !java.util.Arrays.equals(mine.encryptionKey(), encryptionKeys.publicKey())) {
            throw new SecAggException("key roster of round " + params.round() + " does not carry " + site
                    + "'s own keys as advertised: refusing to share secrets under it");
        }
        requireThreshold(roster.size(), "sites in the key roster");
        if (roster.size() > params.invitedSites()) {
            throw new SecAggException("key roster has " + roster.size() + " sites, more than the "
                    + params.invitedSites() + " invited to round " + params.round());
        }
        requireThreshold(neighbourhood.size(), "sites in " + site + "'s neighbourhood");
        int n = neighbourhood.size();
        int[] points = new int[n];
        int p = 0;
        for (String v : neighbourhood) {
            points[p++] = pointOf(v);
        }
        List<Shamir.Share> keyShares = Shamir.splitAt(maskingKeys.privateKey(), points, params.threshold(), random);
        List<Shamir.Share> seedShares = Shamir.splitAt(selfMaskSeed, points, params.threshold(), random);
        List<EncryptedShare> out = new ArrayList<>(n);
        int i = 0;
        for (String v : neighbourhood) {
            KeyAdvertisement peer = roster.get(v);
            byte[] plaintext = new byte[2 * Shamir.ELEMENT_BYTES];
            System.arraycopy(Shamir.toBytes(keyShares.get(i).y(), Shamir.ELEMENT_BYTES), 0, plaintext, 0,
                    Shamir.ELEMENT_BYTES);
            System.arraycopy(Shamir.toBytes(seedShares.get(i).y(), Shamir.ELEMENT_BYTES), 0, plaintext,
                    Shamir.ELEMENT_BYTES, Shamir.ELEMENT_BYTES);
            byte[] key = ShareCipher.pairKey(encryptionKeys, peer.encryptionKey(), peer.site(), params);
            out.add(new EncryptedShare(site, peer.site(),
                    ShareCipher.encrypt(key, site, peer.site(), params, plaintext, random)));
            i++;
        }
        phase = Phase.SHARED;
        return new ShareBundle(site, selfMaskCommitment(selfMaskSeed, site, params), out);
    }

    /**
     * Step 1, receiving end: the ciphertexts addressed to this site by every site that shared keys (U2).
     *
     * @throws SecAggException naming the sender whose ciphertext does not authenticate or is not in the roster
     */
    public void receiveShares(List<EncryptedShare> addressedToMe) {
        expect(Phase.SHARED, "receive shares");
        int myPoint = pointOf(site);
        for (EncryptedShare s : addressedToMe) {
            if (!s.to().equals(site)) {
                throw new SecAggException("coordinator routed to " + site + " a share addressed to " + s.to());
            }
            KeyAdvertisement sender = roster.get(s.from());
            if (sender == null) {
                throw new SecAggException("share from " + s.from() + ", who is not in the key roster", s.from());
            }
            if (!neighbourhood.contains(s.from())) {
                throw new SecAggException("share from " + s.from() + ", who is not a neighbour of " + site
                        + " in round " + params.round() + "'s communication graph", s.from());
            }
            byte[] key = ShareCipher.pairKey(encryptionKeys, sender.encryptionKey(), s.from(), params);
            byte[] plain = ShareCipher.decrypt(key, s.from(), site, params, s.ciphertext());
            if (plain.length != 2 * Shamir.ELEMENT_BYTES) {
                throw new SecAggException("share from " + s.from() + " has " + plain.length + " bytes, expected "
                        + 2 * Shamir.ELEMENT_BYTES, s.from());
            }
            Shamir.Share keyShare;
            Shamir.Share seedShare;
            try {
                keyShare = new Shamir.Share(myPoint, new BigInteger(1,
                        java.util.Arrays.copyOfRange(plain, 0, Shamir.ELEMENT_BYTES)));
                seedShare = new Shamir.Share(myPoint, new BigInteger(1,
                        java.util.Arrays.copyOfRange(plain, Shamir.ELEMENT_BYTES, plain.length)));
            } catch (IllegalArgumentException e) {
                throw new SecAggException("share from " + s.from() + " is not a field element", s.from(), e);
            }
            if (held.put(s.from(), new Shamir.Share[] {keyShare, seedShare}) != null) {
                throw new SecAggException("two shares from " + s.from() + " routed to " + site, s.from());
            }
        }
        if (!held.containsKey(site)) {
            throw new SecAggException("the shares routed to " + site + " lack its own: the coordinator dropped it");
        }
        requireThreshold(held.size(), "sites that shared keys");
        phase = Phase.RECEIVED;
    }

    /**
     * Step 2: the masked upload. The delta is weighted by the bag count and encoded in fixed point, then masked by
     * PRG(self seed) and, for every other site v that shared keys, ±PRG(seed shared with v): + when this site's id
     * sorts before v's, − after, so each pair cancels in the sum.
     */
    public MaskedInput maskInput(float[] delta, long bags) {
        return maskInput(delta, bags, null);
    }

    /**
     * Step 2 with distributed differential privacy: the delta is clipped to L2 norm C, encoded as above, and this
     * site's share of the noise (discrete Gaussian, in the ring, before any mask) is added; the sum of t or more
     * such inputs carries the central noise. {@code noise} null means no DP noise.
     */
    public MaskedInput maskInput(float[] delta, long bags, DistributedDiscreteGaussian noise) {
        expect(Phase.RECEIVED, "mask input");
        float[] input = noise == null ? delta : clipped(delta, noise.clipFactor(delta));
        FixedPoint.Encoded encoded = FixedPoint.encode(input, bags, params);
        long[] y = encoded.values();
        if (noise != null) {
            noise.addNoise(y, params.integerScale(), random);
        }
        MaskPrg.addMask(y, selfMaskSeed, +1);
        for (String v : held.keySet()) {
            if (!v.equals(site)) {
                byte[] seed = pairwiseSeed(maskingKeys, roster.get(v).maskingKey(), v, params);
                MaskPrg.addMask(y, seed, site.compareTo(v) < 0 ? +1 : -1);
            }
        }
        maskedWith = new TreeSet<>(held.keySet());
        clamped = encoded.clamped();
        phase = Phase.MASKED;
        return new MaskedInput(site, bags, y);
    }

    /**
     * Step 2 for an input the site has already put in the ring as integers (DP-FedSGD: its clipped gradient sum on
     * the federation's grid with its noise share added): masked exactly as {@link #maskInput} masks, weight
     * {@code weight}. The coordinator reads the unmasked {@link SecAggResult#sum()} as integers, not fixed point.
     */
    public MaskedInput maskEncoded(long[] encoded, long weight) {
        expect(Phase.RECEIVED, "mask input");
        if (encoded.length != params.length()) {
            throw new SecAggException("an encoded input of " + encoded.length + " coordinates for a round of "
                    + params.length());
        }
        long[] y = encoded.clone();
        MaskPrg.addMask(y, selfMaskSeed, +1);
        for (String v : held.keySet()) {
            if (!v.equals(site)) {
                byte[] seed = pairwiseSeed(maskingKeys, roster.get(v).maskingKey(), v, params);
                MaskPrg.addMask(y, seed, site.compareTo(v) < 0 ? +1 : -1);
            }
        }
        maskedWith = new TreeSet<>(held.keySet());
        clamped = 0;
        phase = Phase.MASKED;
        return new MaskedInput(site, weight, y);
    }

    private static float[] clipped(float[] delta, double factor) {
        if (factor >= 1) {
            return delta;
        }
        float[] out = new float[delta.length];
        for (int i = 0; i < delta.length; i++) {
            out[i] = (float) (delta[i] * factor);
        }
        return out;
    }

    /** Coordinates {@link #maskInput} clamped to the bound B. */
    public int clampedCoordinates() {
        return clamped;
    }

    /**
     * Step 3: the shares the coordinator needs to unmask the sum. Refused when the lists overlap, name this site as
     * dropped, name sites that did not share keys, or leave fewer than t survivors: any of these could let the
     * coordinator strip both masks of one site.
     */
    public UnmaskResponse unmask(UnmaskRequest request) {
        expect(Phase.MASKED, "unmask");
        Set<String> survivors = new TreeSet<>(request.survivors());
        Set<String> dropped = new TreeSet<>(request.dropped());
        if (survivors.size() != request.survivors().size() || dropped.size() != request.dropped().size()) {
            throw new SecAggException("unmask request of round " + params.round() + " repeats a site");
        }
        Set<String> both = new TreeSet<>(survivors);
        both.retainAll(dropped);
        if (!both.isEmpty()) {
            throw new SecAggException("unmask request of round " + params.round() + " lists " + both
                    + " as both survivor and dropped: revealing both secrets would expose their input");
        }
        if (!survivors.contains(site)) {
            throw new SecAggException("unmask request of round " + params.round() + " does not list " + site
                    + " as a survivor, though it sent its input");
        }
        Set<String> union = new TreeSet<>(survivors);
        union.addAll(dropped);
        Set<String> unknown = new TreeSet<>(union);
        unknown.removeAll(roster.keySet());
        union.retainAll(neighbourhood);
        if (!unknown.isEmpty() || !union.equals(maskedWith)) {
            throw new SecAggException("unmask request of round " + params.round() + " covers " + union
                    + (unknown.isEmpty() ? "" : " and " + unknown + " outside the key roster")
                    + " but the sites that shared keys were " + maskedWith);
        }
        Set<String> neighboursSurviving = new TreeSet<>(survivors);
        neighboursSurviving.retainAll(neighbourhood);
        requireThreshold(neighboursSurviving.size(), neighbourhood.size() == roster.size() ? "survivors"
                : "survivors in " + site + "'s neighbourhood");
        Map<String, Shamir.Share> seeds = new HashMap<>();
        Map<String, Shamir.Share> keys = new HashMap<>();
        for (String v : neighboursSurviving) {
            seeds.put(v, held.get(v)[1]);
        }
        for (String v : dropped) {
            if (neighbourhood.contains(v)) {
                keys.put(v, held.get(v)[0]);
            }
        }
        phase = Phase.DONE;
        return new UnmaskResponse(site, seeds, keys);
    }

    /**
     * The consistency round: this site's signature over the survivor set the coordinator sent. Signed once per round,
     * and only over a set that lists this site.
     */
    public SurvivorSetSignature signSurvivors(UnmaskRequest request) {
        expect(Phase.MASKED, "sign the survivor set");
        if (signedSurvivors != null) {
            throw new SecAggException(site + " already signed the survivor set " + signedSurvivors + " of round "
                    + params.round() + "; it signs one set per round, so the coordinator cannot collect signatures "
                    + "for two");
        }
        Set<String> survivors = new TreeSet<>(request.survivors());
        if (!survivors.contains(site)) {
            throw new SecAggException("survivor set of round " + params.round() + " does not list " + site
                    + ", though it sent its input: refusing to sign it");
        }
        signedSurvivors = survivors;
        return authentication.signSurvivors(params, site, survivors);
    }

    /**
     * Signatures over one survivor set a site must see before revealing anything: t, and a majority of the key
     * roster, so that two different sets cannot both collect enough signatures unless 2q − n sites signed both.
     */
    public static int consistencyQuorum(int rosterSize, int threshold) {
        return org.fedmil.audit.SurvivorSet.quorum(rosterSize, threshold);
    }

    /**
     * Step 3 after the consistency round: reveals the unmasking shares only when the request names exactly the
     * survivor set this site signed and {@code signatures} hold at least {@link #consistencyQuorum} valid ones from
     * distinct consortium-certified survivors over that same set, counted among the holders of this site's shares
     * (the whole roster under full SecAgg, its neighbourhood under SecAgg+).
     *
     * @throws SecAggException saying how many valid signatures there were and which were refused, and the site
     *                         withdraws from the round
     */
    public UnmaskResponse unmask(UnmaskRequest request, List<SurvivorSetSignature> signatures) {
        expect(Phase.MASKED, "unmask");
        if (signedSurvivors == null) {
            // a coordinator that skips the consistency round gets nothing: it is what makes a lie detectable
            phase = Phase.WITHDRAWN;
            throw new SecAggException(site + " was asked to unmask in round " + params.round() + " before it signed "
                    + "the survivor set (the coordinator skipped the consistency round); " + site + " reveals "
                    + "nothing in this round");
        }
        Set<String> told = new TreeSet<>(request.survivors());
        if (!told.equals(signedSurvivors)) {
            phase = Phase.WITHDRAWN;
            throw new SecAggException("the unmask request of round " + params.round() + " names the survivors " + told
                    + " but " + site + " signed " + signedSurvivors + ": the coordinator changed the survivor set "
                    + "after the consistency round; " + site + " reveals nothing");
        }
        Set<String> valid = new TreeSet<>();
        Map<String, String> refused = new TreeMap<>();
        for (SurvivorSetSignature sig : signatures) {
            if (!signedSurvivors.contains(sig.site())) {
                refused.put(sig.site(), "not a survivor");
                continue;
            }
            if (!neighbourhood.contains(sig.site())) {
                // under SecAgg+ only the holders of this site's shares vouch for the set it reveals them under
                refused.put(sig.site(), "not a neighbour");
                continue;
            }
            String problem = authentication.survivorSignatureProblem(params, signedSurvivors, sig);
            if (problem == null) {
                valid.add(sig.site());
            } else {
                refused.put(sig.site(), problem);
            }
        }
        int quorum = consistencyQuorum(neighbourhood.size(), params.threshold());
        String holders = neighbourhood.size() == roster.size() ? "the " + roster.size() + " roster sites"
                : "the " + neighbourhood.size() + " sites of " + site + "'s neighbourhood";
        if (valid.size() < quorum) {
            phase = Phase.WITHDRAWN;
            throw new SecAggException("consistency check of round " + params.round() + " of " + params.federationId()
                    + " failed at " + site + ": only " + valid.size() + " valid signatures from distinct consortium "
                    + "sites over the survivor set " + signedSurvivors + " it was told, fewer than the " + quorum
                    + " needed (t=" + params.threshold() + ", and a majority of " + holders + ")"
                    + (refused.isEmpty() ? "" : "; refused: " + refused) + ". The coordinator told sites "
                    + "different survivor sets or withheld their signatures; " + site + " reveals no unmasking share "
                    + "in this round");
        }
        return unmask(request);
    }

    static byte[] pairwiseSeed(X25519KeyPair own, byte[] peerMaskingKey, String peer, SecAggParameters p) {
        return Kdf.derive(own.agree(peerMaskingKey, peer), p.binding("pairwise-mask"));
    }

    static byte[] selfMaskCommitment(byte[] seed, String site, SecAggParameters p) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(p.binding("self-mask-commitment|" + site));
            return sha.digest(seed);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available in this JDK", e);
        }
    }

    private int pointOf(String s) {
        return RosterPoint.of(roster.navigableKeySet(), s, params.round());
    }

    private void requireThreshold(int count, String what) {
        if (count < params.threshold()) {
            throw new SecAggException("round " + params.round() + " has " + count + " " + what + ", fewer than the "
                    + "threshold t=" + params.threshold() + ": aborting, nothing is revealed");
        }
    }

    private void expect(Phase expected, String step) {
        if (phase != expected) {
            throw new IllegalStateException(site + " cannot " + step + " in round " + params.round() + " now: it is "
                    + "at step " + phase + ", expected " + expected);
        }
    }
}
