package org.fedmil.audit;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.ECPublicKey;
import java.util.Base64;

/**
 * ECDSA P-256 / SHA-256 signatures as every FedMIL audit artefact carries them: DER, low-s, base64. One form only,
 * so that no one without the key can re-form a signature and so change the bytes (and hash) of what it signs.
 */
public final class Signatures {

    static final String ALGORITHM = "SHA256withECDSA";

    /**
     * Verifies with Bouncy Castle's ECDSA, not the JDK's: in JDK 17 the pure-Java P-256 verify took 3.7–5 ms per
     * signature against BC's 0.6–1.7 ms on the same (loaded) machine, and at 500 sites checking the sites' upload
     * signatures was over a quarter of the coordinator's CPU in a round (docs/benchmarks.md, scale). Verifying
     * touches only public data, so BC's timing behaviour does not matter here; signing stays with the JDK's
     * constant-time implementation. Not registered globally: nothing else changes provider.
     */
    private static final java.security.Provider VERIFIER = new org.bouncycastle.jce.provider.BouncyCastleProvider();

    private Signatures() {
    }

    /** Signs {@code data} with {@code key} (an EC key), returning canonical base64 of the low-s DER signature. */
    public static String sign(PrivateKey key, byte[] data) {
        try {
            Signature signer = Signature.getInstance(ALGORITHM);
            signer.initSign(key);
            signer.update(data);
            byte[] der = signer.sign();
            if (!(key instanceof ECPrivateKey ec)) {
                throw new IllegalArgumentException("FedMIL signs with EC P-256 keys only, not " + key.getAlgorithm());
            }
            return Base64.getEncoder().encodeToString(LowS.normalize(der, ec.getParams().getOrder()));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot sign with the " + key.getAlgorithm() + " key: " + e, e);
        }
    }

    /**
     * Why {@code signature} is not {@code key}'s canonical signature of {@code data}, or null if it is.
     *
     * @param whose who should have signed, for the message ("the coordinator certificate CN=...")
     */
    public static String problem(PublicKey key, byte[] data, String signature, String whose) {
        if (signature == null || signature.isEmpty()) {
            return "no signature";
        }
        byte[] der;
        try {
            der = Base64.getDecoder().decode(signature);
        } catch (IllegalArgumentException e) {
            return "the signature is not valid base64";
        }
        if (!Base64.getEncoder().encodeToString(der).equals(signature)) {
            // the decoder ignores stray bits in the last character; signed bytes must be exactly as written
            return "the signature is not canonical base64";
        }
        if (!(key instanceof ECPublicKey ec)) {
            return whose + " does not hold an EC key";
        }
        if (!LowS.isCanonical(der, ec.getParams().getOrder())) {
            return "bad signature: not a canonical low-s DER ECDSA signature";
        }
        try {
            Signature verifier = Signature.getInstance(ALGORITHM, VERIFIER);
            verifier.initVerify(key);
            verifier.update(data);
            return verifier.verify(der) ? null : "bad signature: altered, or not signed by " + whose;
        } catch (GeneralSecurityException e) {
            return "bad signature (" + e.getMessage() + "): altered, or not signed by " + whose;
        }
    }
}
