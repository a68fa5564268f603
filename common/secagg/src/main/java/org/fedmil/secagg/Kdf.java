package org.fedmil.secagg;

import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/** HKDF-SHA-256 (RFC 5869): turns an X25519 shared secret into a 32-byte key bound to its purpose and round. */
final class Kdf {

    private Kdf() {
    }

    static byte[] derive(byte[] sharedSecret, byte[] info) {
        HKDFBytesGenerator hkdf = new HKDFBytesGenerator(new SHA256Digest());
        hkdf.init(new HKDFParameters(sharedSecret, null, info));
        byte[] key = new byte[32];
        hkdf.generateBytes(key, 0, key.length);
        return key;
    }
}
