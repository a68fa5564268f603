package org.fedmil.protocol;

import com.google.protobuf.ByteString;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.proto.v1.SecAggEncryptedShare;
import org.fedmil.proto.v1.SecAggKeys;
import org.fedmil.proto.v1.SecAggRosterEntry;
import org.fedmil.proto.v1.SecAggShare;
import org.fedmil.proto.v1.SecAggShares;
import org.fedmil.proto.v1.SecAggUnmaskShares;
import org.fedmil.proto.v1.SecAggUnmaskTask;
import org.fedmil.proto.v1.SecAggConsistencyTask;
import org.fedmil.proto.v1.SecAggSignedSurvivorSet;
import org.fedmil.proto.v1.SecAggSurvivorSignature;
import org.fedmil.secagg.SurvivorSetSignature;
import org.fedmil.secagg.EncryptedShare;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.secagg.Shamir;
import org.fedmil.secagg.ShareBundle;
import org.fedmil.secagg.UnmaskRequest;
import org.fedmil.secagg.UnmaskResponse;

/**
 * The secure-aggregation messages of {@link org.fedmil.secagg} to and from their protocol form. The site ids in them
 * are as the coordinator knows them (certificate CNs); the coordinator puts the caller's own id into whatever it
 * builds from a site's message, never one the message claims.
 */
public final class SecAggWire {

    private SecAggWire() {
    }

    public static org.fedmil.proto.v1.SecAggParameters toProto(SecAggParameters p) {
        return org.fedmil.proto.v1.SecAggParameters.newBuilder().setRound(p.round())
                .setInvitedSites(p.invitedSites()).setThreshold(p.threshold()).setLength(p.length())
                .setMaxBags(p.maxBags()).setCoordinateBound(p.coordinateBound())
                .setFractionalBits(p.fractionalBits()).setGraphDegree(p.graphDegree()).build();
    }

    /** @throws IllegalArgumentException when the values are out of range (e.g. could overflow) */
    public static SecAggParameters fromProto(org.fedmil.proto.v1.SecAggParameters p, String federationId) {
        return new SecAggParameters(federationId, p.getRound(), p.getInvitedSites(), p.getThreshold(), p.getLength(),
                p.getMaxBags(), p.getCoordinateBound(), p.getFractionalBits(), p.getGraphDegree());
    }

    public static SecAggRosterEntry toProto(KeyAdvertisement a) {
        return SecAggRosterEntry.newBuilder().setSiteId(a.site())
                .setEncryptionKey(ByteString.copyFrom(a.encryptionKey()))
                .setMaskingKey(ByteString.copyFrom(a.maskingKey()))
                .setCertificate(ByteString.copyFrom(a.certificate())).setSignature(a.signature()).build();
    }

    public static List<KeyAdvertisement> roster(List<SecAggRosterEntry> entries) {
        List<KeyAdvertisement> out = new ArrayList<>(entries.size());
        for (SecAggRosterEntry e : entries) {
            out.add(new KeyAdvertisement(e.getSiteId(), e.getEncryptionKey().toByteArray(),
                    e.getMaskingKey().toByteArray(), e.getCertificate().toByteArray(), e.getSignature()));
        }
        return out;
    }

    /** What a site sends in step 0: its keys and its signature over them (the coordinator adds its certificate). */
    public static SecAggKeys toKeys(int round, KeyAdvertisement a) {
        return SecAggKeys.newBuilder().setRound(round).setEncryptionKey(ByteString.copyFrom(a.encryptionKey()))
                .setMaskingKey(ByteString.copyFrom(a.maskingKey())).setSignature(a.signature()).build();
    }

    /** The advertisement of the calling site, with the certificate its TLS handshake proved. */
    public static KeyAdvertisement fromProto(String caller, byte[] callerCertificate, SecAggKeys k) {
        return new KeyAdvertisement(caller, k.getEncryptionKey().toByteArray(), k.getMaskingKey().toByteArray(),
                callerCertificate, k.getSignature());
    }

    public static SecAggEncryptedShare toProto(EncryptedShare s) {
        return SecAggEncryptedShare.newBuilder().setFromSite(s.from()).setToSite(s.to())
                .setCiphertext(ByteString.copyFrom(s.ciphertext())).build();
    }

    public static List<EncryptedShare> shares(List<SecAggEncryptedShare> shares) {
        List<EncryptedShare> out = new ArrayList<>(shares.size());
        for (SecAggEncryptedShare s : shares) {
            out.add(new EncryptedShare(s.getFromSite(), s.getToSite(), s.getCiphertext().toByteArray()));
        }
        return out;
    }

    public static SecAggShares toProto(int round, ShareBundle b) {
        SecAggShares.Builder out = SecAggShares.newBuilder().setRound(round)
                .setSelfMaskCommitment(ByteString.copyFrom(b.selfMaskCommitment()));
        for (EncryptedShare s : b.shares()) {
            out.addShares(toProto(s));
        }
        return out.build();
    }

    /** The bundle of the calling site, whatever site the message names. */
    public static ShareBundle fromProto(String caller, SecAggShares m) {
        return new ShareBundle(caller, m.getSelfMaskCommitment().toByteArray(), shares(m.getSharesList()));
    }

    public static SecAggUnmaskTask toProto(int round, UnmaskRequest r) {
        return SecAggUnmaskTask.newBuilder().setRound(round).addAllSurvivors(r.survivors())
                .addAllDropped(r.dropped()).build();
    }

    public static UnmaskRequest fromProto(SecAggUnmaskTask t) {
        return new UnmaskRequest(t.getSurvivorsList(), t.getDroppedList());
    }

    /** The unmask task with the survivor-set signatures the site checks before it reveals anything. */
    public static SecAggUnmaskTask toProto(int round, UnmaskRequest r, List<SurvivorSetSignature> signatures) {
        SecAggUnmaskTask.Builder out = toProto(round, r).toBuilder();
        for (SurvivorSetSignature s : signatures) {
            out.addSurvivorSignatures(SecAggSignedSurvivorSet.newBuilder().setSiteId(s.site())
                    .setCertificate(ByteString.copyFrom(s.certificate())).setSignature(s.signature()));
        }
        return out.build();
    }

    public static List<SurvivorSetSignature> survivorSignatures(SecAggUnmaskTask t) {
        List<SurvivorSetSignature> out = new ArrayList<>(t.getSurvivorSignaturesCount());
        for (SecAggSignedSurvivorSet s : t.getSurvivorSignaturesList()) {
            out.add(new SurvivorSetSignature(s.getSiteId(), s.getCertificate().toByteArray(), s.getSignature()));
        }
        return out;
    }

    public static SecAggConsistencyTask toConsistencyTask(int round, UnmaskRequest r) {
        return SecAggConsistencyTask.newBuilder().setRound(round).addAllSurvivors(r.survivors())
                .addAllDropped(r.dropped()).build();
    }

    public static UnmaskRequest fromProto(SecAggConsistencyTask t) {
        return new UnmaskRequest(t.getSurvivorsList(), t.getDroppedList());
    }

    /** What a site sends in the consistency round: its signature (the coordinator adds its certificate). */
    public static SecAggSurvivorSignature toProto(int round, SurvivorSetSignature s) {
        return SecAggSurvivorSignature.newBuilder().setRound(round).setSignature(s.signature()).build();
    }

    /** The signature of the calling site, with the certificate its TLS handshake proved. */
    public static SurvivorSetSignature fromProto(String caller, byte[] callerCertificate, SecAggSurvivorSignature m) {
        return new SurvivorSetSignature(caller, callerCertificate, m.getSignature());
    }

    public static SecAggUnmaskShares toProto(int round, UnmaskResponse r) {
        SecAggUnmaskShares.Builder out = SecAggUnmaskShares.newBuilder().setRound(round);
        r.selfMaskShares().forEach((owner, s) -> out.addSelfMaskShares(share(owner, s)));
        r.maskingKeyShares().forEach((owner, s) -> out.addMaskingKeyShares(share(owner, s)));
        return out.build();
    }

    /**
     * The answer of the calling site.
     *
     * @throws IllegalArgumentException when a share is not a field element or an owner is named twice
     */
    public static UnmaskResponse fromProto(String caller, SecAggUnmaskShares m) {
        return new UnmaskResponse(caller, shamirShares(m.getSelfMaskSharesList()),
                shamirShares(m.getMaskingKeySharesList()));
    }

    private static SecAggShare share(String owner, Shamir.Share s) {
        return SecAggShare.newBuilder().setOwner(owner).setX(s.x())
                .setY(ByteString.copyFrom(s.y().toByteArray())).build();
    }

    private static Map<String, Shamir.Share> shamirShares(List<SecAggShare> list) {
        Map<String, Shamir.Share> out = new HashMap<>();
        for (SecAggShare s : list) {
            if (s.getY().size() > Shamir.ELEMENT_BYTES + 1) {
                throw new IllegalArgumentException("share of " + s.getOwner() + " has " + s.getY().size()
                        + " bytes, more than a field element");
            }
            if (out.put(s.getOwner(), new Shamir.Share(s.getX(), new BigInteger(1, s.getY().toByteArray()))) != null) {
                throw new IllegalArgumentException("two shares of " + s.getOwner());
            }
        }
        return out;
    }
}
