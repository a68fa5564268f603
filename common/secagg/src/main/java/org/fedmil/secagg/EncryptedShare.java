package org.fedmil.secagg;

/**
 * Step 1, one ciphertext: the shares of {@code from}'s masking private key and self-mask seed meant for {@code to},
 * encrypted for {@code to}; the coordinator only routes it.
 */
public record EncryptedShare(String from, String to, byte[] ciphertext) {
    public EncryptedShare {
        ciphertext = ciphertext.clone();
    }

    @Override
    public byte[] ciphertext() {
        return ciphertext.clone();
    }
}
