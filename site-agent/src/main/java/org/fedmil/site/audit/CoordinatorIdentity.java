package org.fedmil.site.audit;

import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Locale;
import java.util.Optional;
import org.fedmil.pki.Certificates;
import org.fedmil.tls.MutualTls;

/**
 * The coordinator as this agent's TLS handshakes saw it: the certificate the consortium CA admitted last, and, when
 * the site pins a fingerprint (policy.coordinator_fingerprint), the refusal of any other certificate during the
 * handshake, before a single request byte is sent.
 */
public final class CoordinatorIdentity implements MutualTls.ServerCheck {

    private final String pinned;
    private volatile X509Certificate seen;
    private volatile String refusal;

    /** @param pinnedFingerprint SHA-256 fingerprint as {@code AB:CD:...} (colons and case optional), or null */
    public CoordinatorIdentity(String pinnedFingerprint) {
        this.pinned = pinnedFingerprint == null ? null : normalize(pinnedFingerprint);
    }

    /** {@code AB:CD:..}, whatever separators and case the operator typed. */
    public static String normalize(String fingerprint) {
        String hex = fingerprint.replaceAll("[^0-9A-Fa-f]", "").toUpperCase(Locale.ROOT);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < hex.length(); i += 2) {
            if (i > 0) {
                b.append(':');
            }
            b.append(hex, i, Math.min(i + 2, hex.length()));
        }
        return b.toString();
    }

    @Override
    public void admitted(X509Certificate[] chain) throws CertificateException {
        String fingerprint = Certificates.sha256Fingerprint(chain[0]);
        if (pinned != null && !pinned.equals(fingerprint)) {
            refusal = "the coordinator presented certificate " + chain[0].getSubjectX500Principal() + " with SHA-256 "
                    + "fingerprint " + fingerprint + ", but this site pins " + pinned
                    + " (site.yaml policy.coordinator_fingerprint). Nothing was sent. If the consortium operator "
                    + "renewed the coordinator's certificate, confirm the new fingerprint with them by phone and "
                    + "update the pin";
            throw new CertificateException(refusal);
        }
        seen = chain[0];
    }

    /** The coordinator certificate last admitted, if a handshake succeeded. */
    public Optional<X509Certificate> certificate() {
        return Optional.ofNullable(seen);
    }

    /** The fingerprint of {@link #certificate()}, or "(no handshake yet)". */
    public String fingerprint() {
        X509Certificate c = seen;
        return c == null ? "(no handshake yet)" : Certificates.sha256Fingerprint(c);
    }

    /** Why the pin refused a coordinator, if it did. */
    public Optional<String> pinRefusal() {
        return Optional.ofNullable(refusal);
    }
}
