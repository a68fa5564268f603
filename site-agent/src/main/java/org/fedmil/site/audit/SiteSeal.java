package org.fedmil.site.audit;

import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import org.fedmil.audit.Signatures;
import org.fedmil.privacy.PrivacyLedger;

/** The site's key and certificate as the privacy ledger's seal: its releases are signed like its egress log. */
public record SiteSeal(PrivateKey key, X509Certificate certificate) implements PrivacyLedger.Seal {

    @Override
    public String sign(byte[] body) {
        return Signatures.sign(key, body);
    }

    @Override
    public String publicKey() {
        return java.util.Base64.getEncoder().encodeToString(certificate.getPublicKey().getEncoded());
    }
}
