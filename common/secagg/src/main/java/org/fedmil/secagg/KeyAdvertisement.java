package org.fedmil.secagg;

/**
 * Step 0: a site's two fresh X25519 public keys for this round, one to encrypt shares to it, one for pairwise masks,
 * signed with the site's TLS certificate key so that a coordinator relaying them cannot substitute its own
 * ({@link RosterAuthentication}).
 *
 * @param certificate the DER of the site's consortium certificate (CN = {@code site}); the coordinator fills in the
 *                    certificate the caller's TLS handshake proved, and every site checks it against the CA
 * @param signature   the site's signature (ECDSA P-256, canonical base64) over
 *                    {@link RosterAuthentication#signedBytes}: both keys bound to federation, round and site
 */
public record KeyAdvertisement(String site, byte[] encryptionKey, byte[] maskingKey, byte[] certificate,
                               String signature) {
    public KeyAdvertisement {
        encryptionKey = encryptionKey.clone();
        maskingKey = maskingKey.clone();
        certificate = certificate.clone();
        java.util.Objects.requireNonNull(signature, "signature");
    }

    @Override
    public byte[] encryptionKey() {
        return encryptionKey.clone();
    }

    @Override
    public byte[] maskingKey() {
        return maskingKey.clone();
    }

    @Override
    public byte[] certificate() {
        return certificate.clone();
    }
}
