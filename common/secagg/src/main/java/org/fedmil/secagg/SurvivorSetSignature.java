package org.fedmil.secagg;

/**
 * The consistency round (Bonawitz et al. 2017, round 3): a survivor's signature, with the key of its consortium
 * certificate, over the survivor set the coordinator told it, bound to the federation and round
 * ({@link RosterAuthentication#survivorSetBytes}). A site reveals unmasking shares only after checking t such
 * signatures from distinct certified survivors over the very set it was told, so a coordinator that tells two
 * groups of sites different sets gets fewer than t signatures for either and nothing is revealed.
 *
 * @param certificate the DER of the signer's consortium certificate (CN = {@code site})
 * @param signature   ECDSA P-256, canonical base64
 */
public record SurvivorSetSignature(String site, byte[] certificate, String signature) {
    public SurvivorSetSignature {
        certificate = certificate.clone();
        java.util.Objects.requireNonNull(signature, "signature");
    }

    @Override
    public byte[] certificate() {
        return certificate.clone();
    }
}
