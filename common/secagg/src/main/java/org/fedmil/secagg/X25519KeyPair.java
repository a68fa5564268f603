package org.fedmil.secagg;

import java.security.SecureRandom;
import java.util.Arrays;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;

/**
 * An X25519 key pair (RFC 7748) as raw 32-byte strings: raw bytes because the masking private key is itself
 * secret-shared, and Bouncy Castle's lightweight API takes and gives exactly those bytes.
 */
public record X25519KeyPair(byte[] privateKey, byte[] publicKey) {

    public static final int KEY_BYTES = 32;

    public X25519KeyPair {
        if (privateKey.length != KEY_BYTES || publicKey.length != KEY_BYTES) {
            throw new IllegalArgumentException("X25519 keys are " + KEY_BYTES + " bytes");
        }
        privateKey = privateKey.clone();
        publicKey = publicKey.clone();
    }

    public static X25519KeyPair generate(SecureRandom random) {
        return fromPrivate(new X25519PrivateKeyParameters(random).getEncoded());
    }

    /** The pair of a private key, e.g. one rebuilt from Shamir shares. */
    public static X25519KeyPair fromPrivate(byte[] privateKey) {
        X25519PrivateKeyParameters sk = new X25519PrivateKeyParameters(privateKey, 0);
        return new X25519KeyPair(sk.getEncoded(), sk.generatePublicKey().getEncoded());
    }

    /**
     * The raw shared secret with a peer's public key.
     *
     * @throws SecAggException when the peer's key is a low-order point (the secret would be all zeros)
     */
    public byte[] agree(byte[] peerPublicKey, String peer) {
        if (peerPublicKey.length != KEY_BYTES) {
            throw new SecAggException("public key of " + peer + " has " + peerPublicKey.length + " bytes, expected "
                    + KEY_BYTES, peer);
        }
        X25519Agreement agreement = new X25519Agreement();
        agreement.init(new X25519PrivateKeyParameters(privateKey, 0));
        byte[] secret = new byte[agreement.getAgreementSize()];
        try {
            agreement.calculateAgreement(new X25519PublicKeyParameters(peerPublicKey, 0), secret, 0);
        } catch (IllegalStateException e) {
            throw new SecAggException("public key of " + peer + " is a low-order X25519 point", peer, e);
        }
        return secret;
    }

    @Override
    public byte[] privateKey() {
        return privateKey.clone();
    }

    @Override
    public byte[] publicKey() {
        return publicKey.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof X25519KeyPair k && Arrays.equals(publicKey, k.publicKey)
                && Arrays.equals(privateKey, k.privateKey);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(publicKey);
    }

    @Override
    public String toString() {
        return "X25519KeyPair[public=" + java.util.HexFormat.of().formatHex(publicKey) + "]";
    }
}
