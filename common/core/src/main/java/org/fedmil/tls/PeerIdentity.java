package org.fedmil.tls;

import io.grpc.Context;
import io.grpc.Status;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Objects;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1String;
import org.bouncycastle.asn1.x500.RDN;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x500.style.IETFUtils;
import org.bouncycastle.cert.jcajce.JcaX509CertificateHolder;
import org.fedmil.pki.Certificates;
import org.fedmil.pki.PartyKind;

/**
 * Who is calling, as the TLS handshake proved it: the CN of a consortium certificate is the
 * site id (or admin name) and its OU the role. Requests never carry an identity of their own.
 */
public record PeerIdentity(String commonName, Role role, String sha256Fingerprint, X509Certificate certificate) {

    public enum Role { SITE, ADMIN, OTHER }

    /** Set by {@link PeerIdentityInterceptor} for the duration of each call. */
    public static final Context.Key<PeerIdentity> PEER = Context.key("fedmil.peer-identity");

    public PeerIdentity {
        Objects.requireNonNull(commonName, "commonName");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(sha256Fingerprint, "sha256Fingerprint");
        Objects.requireNonNull(certificate, "certificate");
    }

    /**
     * The caller of the current gRPC call. Throws UNAUTHENTICATED when the service was not
     * wrapped in a {@link PeerIdentityInterceptor}, so a wiring mistake denies instead of
     * serving an anonymous caller.
     */
    public static PeerIdentity current() {
        PeerIdentity identity = PEER.get();
        if (identity == null) {
            throw Status.UNAUTHENTICATED
                    .withDescription("no verified client certificate for this call; the service must be "
                            + "registered through PeerIdentityInterceptor")
                    .asRuntimeException();
        }
        return identity;
    }

    /** Reads the identity from a peer certificate the TLS layer has already verified. */
    public static PeerIdentity of(X509Certificate certificate) {
        X500Name subject;
        try {
            subject = new JcaX509CertificateHolder(certificate).getSubject();
        } catch (CertificateEncodingException e) {
            throw new IllegalArgumentException("unreadable peer certificate subject", e);
        }
        String commonName = single(subject, BCStyle.CN);
        if (commonName == null || commonName.isEmpty()) {
            throw new IllegalArgumentException("peer certificate " + subject + " has no single CN");
        }
        String unit = single(subject, BCStyle.OU);
        Role role = Role.OTHER;
        if (PartyKind.SITE.organizationalUnit().equals(unit)) {
            role = Role.SITE;
        } else if (PartyKind.ADMIN.organizationalUnit().equals(unit)) {
            role = Role.ADMIN;
        }
        return new PeerIdentity(commonName, role, Certificates.sha256Fingerprint(certificate), certificate);
    }

    /** The value of the only attribute of that type, or null if absent or repeated (ambiguous). */
    private static String single(X500Name name, ASN1ObjectIdentifier type) {
        RDN[] rdns = name.getRDNs(type);
        if (rdns.length != 1 || rdns[0].isMultiValued()) {
            return null;
        }
        ASN1Encodable value = rdns[0].getFirst().getValue();
        // The raw string, not IETFUtils' RFC 4514 escaping: a CN is compared with site ids.
        return value instanceof ASN1String s ? s.getString() : IETFUtils.valueToString(value);
    }

    @Override
    public String toString() {
        return role.name().toLowerCase(java.util.Locale.ROOT) + " '" + commonName + "' (" + sha256Fingerprint + ")";
    }
}
