package org.fedmil.site.secagg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.List;
import java.util.function.Supplier;
import org.fedmil.proto.v1.SecAggKeys;
import org.fedmil.proto.v1.SecAggShares;
import org.fedmil.proto.v1.SecAggUnmaskShares;
import org.fedmil.privacy.DistributedDiscreteGaussian;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.secagg.EncryptedShare;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.secagg.SecAggClient;
import org.fedmil.secagg.SecAggException;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.secagg.UnmaskRequest;
import org.fedmil.site.policy.PolicyViolation;

/**
 * This site's side of one securely aggregated round attempt: the {@link SecAggClient} and every answer it gave, so
 * that a call that broke off is repeated with the same message (fresh keys or a fresh mask for a retry would not
 * match what the coordinator already holds). A new attempt of a round starts with a new advertise task, and so a
 * new session.
 */
final class SecAggSession {

    private final SecAggClient client;
    private final int round;
    private SecAggKeys advertised;
    private SecAggShares shared;
    private boolean received;
    private byte[] masked;
    private int clamped;
    private SecAggUnmaskShares unmasked;
    private org.fedmil.proto.v1.SecAggSurvivorSignature signedSurvivors;
    /** DP-FedSGD's K_min once this site masked a share calibrated for it; 0 otherwise. */
    private int minSurvivors;

    private SecAggSession(SecAggClient client, int round) {
        this.client = client;
        this.round = round;
    }

    /**
     * @throws PolicyViolation when the coordinator's parameters would let it learn this site's delta: a threshold
     *                         at or below half the invited sites (a coordinator that lies about dropouts could then
     *                         gather both secrets of a site from two disjoint sets of helpers)
     */
    static SecAggSession start(String site, SecAggParameters p, RosterAuthentication authentication) {
        // under SecAgg+ a site's secrets are held by its k neighbours and itself: the bound applies there
        int holders = p.graphDegree() == 0 ? p.invitedSites() : Math.min(p.invitedSites(), p.graphDegree() + 1);
        if (org.fedmil.secagg.CollusionBound.toleratedColluders(holders, p.threshold()) < 0
                || p.threshold() < 2) {
            throw new PolicyViolation("secure_aggregation", "the coordinator asks for threshold t=" + p.threshold()
                    + " of " + holders + (holders == p.invitedSites() ? " sites" : " holders of each site's shares")
                    + " in round " + p.round() + "; this site shares its secrets "
                    + "only with t > n/2 and t >= 2 (below that the coordinator alone, by telling different sites "
                    + "different survivor lists, could gather both secrets of a site: docs/secure-aggregation.md)");
        }
        return new SecAggSession(new SecAggClient(site, p, authentication, new SecureRandom()), p.round());
    }

    int round() {
        return round;
    }

    SecAggParameters parameters() {
        return client.parameters();
    }

    /** Whether secrets were shared under this session's keys (then a new attempt needs new keys). */
    boolean hasShared() {
        return shared != null;
    }

    SecAggKeys advertise() {
        if (advertised == null) {
            advertised = SecAggWire.toKeys(round, client.advertise());
        }
        return advertised;
    }

    /** @throws SecAggException naming the site whose roster entry is not signed by its consortium certificate */
    SecAggShares share(List<KeyAdvertisement> roster) {
        if (shared == null) {
            shared = SecAggWire.toProto(round, client.shareKeys(roster));
        }
        return shared;
    }

    /** @throws SecAggException naming the site whose ciphertext does not authenticate */
    void receive(List<EncryptedShare> shares) {
        if (!received) {
            client.receiveShares(shares);
            received = true;
        }
    }

    /**
     * The masked upload of {@code delta} (computed once; a resend is the same bytes), with this site's share of
     * distributed DP noise when {@code noise} is not null.
     */
    byte[] mask(Supplier<float[]> delta, long bags, DistributedDiscreteGaussian noise) {
        if (masked == null) {
            MaskedInput m = client.maskInput(delta.get(), bags, noise);
            clamped = client.clampedCoordinates();
            long[] y = m.masked();
            ByteBuffer b = ByteBuffer.allocate(8 * y.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(y);
            masked = b.array();
        }
        return masked;
    }

    /**
     * The masked upload of an integer vector already in the ring (a DP-FedSGD share, its noise share in it), computed
     * once; a resend is the same bytes.
     */
    byte[] maskEncoded(Supplier<long[]> encoded, long weight) {
        if (masked == null) {
            long[] y = client.maskEncoded(encoded.get(), weight).masked();
            ByteBuffer b = ByteBuffer.allocate(8 * y.length).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(y);
            masked = b.array();
        }
        return masked;
    }

    /** This site masked a DP-FedSGD share for K_min = {@code kMin}: it helps unmask no sum of fewer shares. */
    void requireSurvivorsForRelease(int kMin) {
        minSurvivors = Math.max(minSurvivors, kMin);
    }

    int clampedCoordinates() {
        return clamped;
    }

    /** @throws SecAggException when the set does not list this site, or differs from one it signed before */
    org.fedmil.proto.v1.SecAggSurvivorSignature signSurvivors(UnmaskRequest request) {
        if (signedSurvivors == null) {
            signedSurvivors = SecAggWire.toProto(round, client.signSurvivors(request));
        }
        return signedSurvivors;
    }

    /**
     * @throws SecAggException when the request differs from the survivor set this site signed, or fewer than the
     *                         quorum of {@code signatures} are valid signatures over that set; the site withdraws
     */
    SecAggUnmaskShares unmask(UnmaskRequest request, List<org.fedmil.secagg.SurvivorSetSignature> signatures) {
        if (unmasked == null && request.survivors().size() < minSurvivors) {
            // this site's noise share is calibrated for K_min shares in the sum: a sum of fewer is less private
            throw new SecAggException("the unmask request of round " + round + " lists " + request.survivors().size()
                    + " survivors, fewer than the K_min = " + minSurvivors + " DP-FedSGD shares this site's noise was "
                    + "calibrated for; revealing the shares would release a sum with too little noise");
        }
        if (unmasked == null) {
            unmasked = SecAggWire.toProto(round, client.unmask(request, signatures));
        }
        return unmasked;
    }
}
