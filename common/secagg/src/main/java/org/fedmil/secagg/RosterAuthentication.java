package org.fedmil.secagg;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.fedmil.audit.Signatures;
import org.fedmil.tls.PeerIdentity;

/**
 * Why a site can trust the key roster the coordinator relays: every site signs its two public keys, bound to the
 * federation, round and its own name, with the EC key of its consortium TLS certificate, and every site checks every
 * roster entry (a site certificate issued by the consortium CA it already trusts, valid now, CN = the entry's site,
 * the signature) before it derives a seed or encrypts a share under it. Without this a coordinator could put its own
 * keys in place of a site's, read the shares sent to that site and compute its pairwise masks (Bonawitz et al. 2017,
 * the actively secure variant's signed keys).
 *
 * @see KeyAdvertisement
 */
public final class RosterAuthentication {

    private static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";

    private final PrivateKey ownKey;
    private final X509Certificate ownCertificate;
    private final X509Certificate consortiumCa;
    private final Clock clock;

    /**
     * @param ownKey         the private key of this site's TLS certificate
     * @param ownCertificate this site's TLS certificate (its CN is the site's name)
     * @param consortiumCa   the CA every site certificate must be issued by
     */
    public RosterAuthentication(PrivateKey ownKey, X509Certificate ownCertificate, X509Certificate consortiumCa,
                                Clock clock) {
        this.ownKey = Objects.requireNonNull(ownKey, "ownKey");
        this.ownCertificate = Objects.requireNonNull(ownCertificate, "ownCertificate");
        this.consortiumCa = Objects.requireNonNull(consortiumCa, "consortiumCa");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The name this site's certificate gives it. */
    public String siteName() {
        return PeerIdentity.of(ownCertificate).commonName();
    }

    /** This site's keys, signed. */
    KeyAdvertisement sign(SecAggParameters p, String site, byte[] encryptionKey, byte[] maskingKey) {
        try {
            return new KeyAdvertisement(site, encryptionKey, maskingKey, ownCertificate.getEncoded(),
                    Signatures.sign(ownKey, signedBytes(p, site, encryptionKey, maskingKey)));
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("this site's certificate cannot be encoded: " + e.getMessage(), e);
        }
    }

    /**
     * Checks every entry of the roster before anything is derived from it.
     *
     * @throws SecAggException naming the site whose entry does not check: the coordinator altered or substituted it
     */
    void verify(SecAggParameters p, List<KeyAdvertisement> roster) {
        for (KeyAdvertisement a : roster) {
            String chain = chainProblem(a);
            String bad = chain != null ? chain : signatureProblem(p, a);
            if (bad != null) {
                throw new SecAggException("the key roster of round " + p.round() + " of " + p.federationId()
                        + " carries keys for " + a.site() + " that are not " + a.site() + "'s: " + bad + ". The "
                        + "coordinator altered or substituted them; " + siteName() + " withdraws from this round "
                        + "and shares nothing under this roster (check the coordinator and its operator)", a.site());
            }
        }
    }

    /** Why the entry's certificate is not a site certificate of the consortium CA valid now, or null. */
    private String chainProblem(KeyAdvertisement a) {
        X509Certificate cert;
        try {
            cert = parse(a.certificate());
        } catch (CertificateException e) {
            return "its certificate cannot be read (" + e.getMessage() + ")";
        }
        if (!cert.getIssuerX500Principal().equals(consortiumCa.getSubjectX500Principal())) {
            return "its certificate " + cert.getSubjectX500Principal() + " was issued by "
                    + cert.getIssuerX500Principal() + ", not by the consortium CA "
                    + consortiumCa.getSubjectX500Principal();
        }
        try {
            cert.verify(consortiumCa.getPublicKey());
        } catch (GeneralSecurityException e) {
            return "its certificate " + cert.getSubjectX500Principal() + " is not signed by the consortium CA "
                    + consortiumCa.getSubjectX500Principal();
        }
        try {
            cert.checkValidity(Date.from(clock.instant()));
        } catch (CertificateException e) {
            return "its certificate " + cert.getSubjectX500Principal() + " is not valid now (" + e.getMessage() + ")";
        }
        try {
            List<String> usage = cert.getExtendedKeyUsage();
            if (usage == null || !usage.contains(CLIENT_AUTH)) {
                return "its certificate " + cert.getSubjectX500Principal() + " is not a site (TLS client) certificate";
            }
        } catch (CertificateException e) {
            return "its certificate's extended key usage cannot be read";
        }
        return null;
    }

    /**
     * Why the entry is not signed by the key of the certificate it carries, for the site that certificate names,
     * or null. The chain is not checked here: the coordinator calls this with the certificate the caller's TLS
     * handshake already checked, to refuse a bad advertisement before it can spoil the roster for every site.
     */
    static String signatureProblem(SecAggParameters p, KeyAdvertisement a) {
        X509Certificate cert;
        try {
            cert = parse(a.certificate());
        } catch (CertificateException e) {
            return "its certificate cannot be read (" + e.getMessage() + ")";
        }
        PeerIdentity id;
        try {
            id = PeerIdentity.of(cert);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!id.commonName().equals(a.site())) {
            return "it is signed with the certificate of '" + id.commonName() + "', not of '" + a.site() + "'";
        }
        if (id.role() != PeerIdentity.Role.SITE) {
            return "its certificate " + cert.getSubjectX500Principal() + " is not a site certificate";
        }
        return Signatures.problem(cert.getPublicKey(), signedBytes(p, a.site(), a.encryptionKey(), a.maskingKey()),
                a.signature(), "site '" + a.site() + "' (" + cert.getSubjectX500Principal() + ")");
    }

    /** This site's signature over the survivor set it was told (the consistency round). */
    SurvivorSetSignature signSurvivors(SecAggParameters p, String site, java.util.Collection<String> survivors) {
        try {
            return new SurvivorSetSignature(site, ownCertificate.getEncoded(),
                    Signatures.sign(ownKey, survivorSetBytes(p, site, survivors)));
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException("this site's certificate cannot be encoded: " + e.getMessage(), e);
        }
    }

    /**
     * Why {@code s} is not a valid signature, by a consortium site certificate valid now whose CN is the signer, over
     * exactly {@code survivors} in this round; or null.
     */
    String survivorSignatureProblem(SecAggParameters p, java.util.Collection<String> survivors, SurvivorSetSignature s) {
        KeyAdvertisement asEntry = new KeyAdvertisement(s.site(), new byte[0], new byte[0], s.certificate(), "-");
        String chain = chainProblem(asEntry);
        if (chain != null) {
            return chain;
        }
        return survivorSignatureOnly(p, survivors, s);
    }

    /** As {@link #survivorSignatureProblem} without the chain check (the coordinator's TLS handshake did it). */
    static String survivorSignatureOnly(SecAggParameters p, java.util.Collection<String> survivors,
                                        SurvivorSetSignature s) {
        X509Certificate cert;
        try {
            cert = parse(s.certificate());
        } catch (CertificateException e) {
            return "its certificate cannot be read (" + e.getMessage() + ")";
        }
        PeerIdentity id;
        try {
            id = PeerIdentity.of(cert);
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
        if (!id.commonName().equals(s.site()) || id.role() != PeerIdentity.Role.SITE) {
            return "it is signed with the certificate of '" + id.commonName() + "', not of site '" + s.site() + "'";
        }
        return Signatures.problem(cert.getPublicKey(), survivorSetBytes(p, s.site(), survivors), s.signature(),
                "site '" + s.site() + "' (" + cert.getSubjectX500Principal() + ")");
    }

    /**
     * What a survivor signs: "fedmil/secagg/v1/survivor-set|site|federation|round|" and the survivors' names in name
     * order, separated by newlines (site names hold neither '|' nor newlines).
     */
    static byte[] survivorSetBytes(SecAggParameters p, String site, java.util.Collection<String> survivors) {
        // one definition for the sites and for `fedmil audit verify`, which checks the round log's copies
        return org.fedmil.audit.SurvivorSet.signedBytes(p.federationId(), p.round(), site, survivors);
    }

    /**
     * What a site signs: "fedmil/secagg/v1/key-advertisement|site|federation|round|hex(c_pk)|hex(s_pk)". Site names
     * cannot hold '|' and the keys are fixed-length hex, so no two different tuples give the same bytes.
     */
    static byte[] signedBytes(SecAggParameters p, String site, byte[] encryptionKey, byte[] maskingKey) {
        HexFormat hex = HexFormat.of();
        return (new String(p.binding("key-advertisement|" + site), StandardCharsets.UTF_8) + "|"
                + hex.formatHex(encryptionKey) + "|" + hex.formatHex(maskingKey)).getBytes(StandardCharsets.UTF_8);
    }

    private static X509Certificate parse(byte[] der) throws CertificateException {
        return (X509Certificate) CertificateFactory.getInstance("X.509")
                .generateCertificate(new ByteArrayInputStream(der));
    }
}
