package org.fedmil.secagg;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * AES-256-GCM between two sites, under the key both derive from their X25519 encryption keys: the coordinator
 * routes these ciphertexts but cannot read or alter them. The associated data binds sender, recipient, federation
 * and round, so a ciphertext replayed to another site or round fails authentication. Layout: 12-byte random nonce,
 * then the ciphertext with its 16-byte tag.
 */
final class ShareCipher {

    private static final int NONCE_BYTES = 12;
    private static final int TAG_BITS = 128;

    private ShareCipher() {
    }

    static byte[] pairKey(X25519KeyPair own, byte[] peerPublic, String peer, SecAggParameters p) {
        return Kdf.derive(own.agree(peerPublic, peer), p.binding("share-encryption"));
    }

    static byte[] encrypt(byte[] key, String from, String to, SecAggParameters p, byte[] plaintext,
                          SecureRandom random) {
        byte[] nonce = new byte[NONCE_BYTES];
        random.nextBytes(nonce);
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(TAG_BITS, nonce));
            gcm.updateAAD(aad(from, to, p));
            byte[] sealed = gcm.doFinal(plaintext);
            byte[] out = Arrays.copyOf(nonce, NONCE_BYTES + sealed.length);
            System.arraycopy(sealed, 0, out, NONCE_BYTES, sealed.length);
            return out;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
    }

    /**
     * @throws SecAggException naming the sender when the ciphertext does not authenticate
     */
    static byte[] decrypt(byte[] key, String from, String to, SecAggParameters p, byte[] ciphertext) {
        if (ciphertext.length < NONCE_BYTES + TAG_BITS / 8) {
            throw new SecAggException("share ciphertext from " + from + " to " + to + " is " + ciphertext.length
                    + " bytes, too short to hold a nonce and tag", from);
        }
        try {
            Cipher gcm = Cipher.getInstance("AES/GCM/NoPadding");
            gcm.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"),
                    new GCMParameterSpec(TAG_BITS, ciphertext, 0, NONCE_BYTES));
            gcm.updateAAD(aad(from, to, p));
            return gcm.doFinal(ciphertext, NONCE_BYTES, ciphertext.length - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw new SecAggException("share ciphertext from " + from + " to " + to + " in round " + p.round()
                    + " does not authenticate: altered in transit, or not encrypted by " + from, from, e);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available in this JDK", e);
        }
    }

    private static byte[] aad(String from, String to, SecAggParameters p) {
        return ("fedmil/secagg/v1/share|" + p.federationId() + "|" + p.round() + "|" + from + "|" + to)
                .getBytes(StandardCharsets.UTF_8);
    }
}
