package org.fedmil.pki;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.HexFormat;

/** Small certificate facts shown to operators and logged by the coordinator. */
public final class Certificates {

    private Certificates() {
    }

    /**
     * SHA-256 over the DER encoding, as {@code AB:CD:...}: the same text
     * {@code openssl x509 -noout -fingerprint -sha256} prints, so an operator can compare the
     * two over the phone when handing a folder to a hospital.
     */
    public static String sha256Fingerprint(X509Certificate certificate) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
            return HexFormat.ofDelimiter(":").withUpperCase().formatHex(digest);
        } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
            throw new IllegalStateException("cannot fingerprint " + certificate.getSubjectX500Principal(), e);
        }
    }
}
