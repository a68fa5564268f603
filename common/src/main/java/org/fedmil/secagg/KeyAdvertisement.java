package org.fedmil.secagg;

/**
 * Step 0: a site's two fresh X25519 public keys for this round, one to encrypt shares to it, one for pairwise masks.
 */
public record KeyAdvertisement(String site, byte[] encryptionKey, byte[] maskingKey) {
    public KeyAdvertisement {
        encryptionKey = encryptionKey.clone();
        maskingKey = maskingKey.clone();
    }

    @Override
    public byte[] encryptionKey() {
        return encryptionKey.clone();
    }

    @Override
    public byte[] maskingKey() {
        return maskingKey.clone();
    }
}
