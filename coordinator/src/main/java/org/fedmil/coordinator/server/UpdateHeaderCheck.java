package org.fedmil.coordinator.server;

import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Locale;
import java.util.Optional;
import org.fedmil.audit.PrivacyClaim;
import org.fedmil.audit.Signatures;
import org.fedmil.audit.SignedStatement;
import org.fedmil.audit.SiteHeads;
import org.fedmil.audit.UpdateStatement;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.SignedUpdate;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.util.Sha256;

/**
 * Checks what a site signed for its upload before any byte of the delta is stored: the signature over the update
 * statement rebuilt from the header (with the federation and the site as the coordinator knows them, never as the
 * site says), the base model's hash, and that the site applied at least the differential privacy the federation
 * asks for. Plain logic, tested without a network.
 */
final class UpdateHeaderCheck {

    private UpdateHeaderCheck() {
    }

    /**
     * @param current the open round's global model; a header naming its version must also name its hash
     * @return the checked statement and signature, for the round log
     */
    static SignedUpdate check(UpdateHeader h, String federationId, String site, X509Certificate siteCert,
                              GlobalModel current, Optional<FederationPlan.DpRequirement> dp) {
        if (h.getBaseModelVersion() == current.version()
                && !java.security.MessageDigest.isEqual(h.getBaseModelSha256().toByteArray(), current.sha256())) {
            throw UpdateRefusal.STALE_BASE_MODEL.because("the update names base model v" + current.version()
                    + " with SHA-256 " + hexOrNone(h.getBaseModelSha256().toByteArray()) + " but that model's SHA-256 is "
                    + Sha256.hex(current.sha256()) + "; download the round's model again and train from it");
        }
        UpdateStatement statement = Wire.updateStatement(h, federationId, site);
        Optional<PrivacyClaim> privacy = statement.privacy();
        if (dp.isPresent()) {
            FederationPlan.DpRequirement need = dp.get();
            if (privacy.isEmpty()) {
                throw UpdateRefusal.PRIVACY_NOT_MET.because("federation '" + federationId + "' requires differential "
                        + "privacy (clip_norm " + need.clipNorm() + ", noise_multiplier " + need.noiseMultiplier()
                        + ") but the update states none; upgrade the site agent");
            }
            PrivacyClaim p = privacy.get();
            if (p.noiseMultiplier() < need.noiseMultiplier() || p.clipNorm() > need.clipNorm()) {
                throw UpdateRefusal.PRIVACY_NOT_MET.because(String.format(Locale.ROOT, "the update states clip_norm "
                        + "%s and noise_multiplier %s; federation '%s' requires clip_norm at most %s and "
                        + "noise_multiplier at least %s", p.clipNorm(), p.noiseMultiplier(), federationId,
                        need.clipNorm(), need.noiseMultiplier()));
            }
            if ((need.perBag() || need.fedSgd()) && !(p.samplingRate() <= need.samplingRate())) {
                throw UpdateRefusal.PRIVACY_NOT_MET.because(String.format(Locale.ROOT, "the update states sampling "
                        + "rate %s; federation '%s' requires patient-level DP-SGD with bags sampled at rate at most %s. "
                        + "Upgrade the site agent", p.samplingRate(), federationId, need.samplingRate()));
            }
        }
        String text = statement.canonicalJson();
        String sig = Base64.getEncoder().encodeToString(h.getSiteSignature().toByteArray());
        String problem = Signatures.problem(siteCert.getPublicKey(), text.getBytes(StandardCharsets.UTF_8), sig,
                "site '" + site + "' (" + siteCert.getSubjectX500Principal() + ")");
        if (problem != null) {
            throw UpdateRefusal.BAD_SIGNATURE.because("the update header's site_signature does not check against "
                    + "site '" + site + "''s certificate: " + problem + ". The site must sign its update statement "
                    + "with the key of the certificate it connects with");
        }
        return new SignedUpdate(text, sig, privacy, siteHeads(h, federationId, site, siteCert));
    }

    /** The site's countersigned heads, checked against its certificate and this update; empty when none came. */
    private static Optional<SignedStatement> siteHeads(UpdateHeader h, String federationId, String site,
                                                       X509Certificate siteCert) {
        if (!h.hasSiteHeads()) {
            return Optional.empty();
        }
        SignedStatement signed = new SignedStatement(h.getSiteHeads().getStatement(),
                Base64.getEncoder().encodeToString(h.getSiteHeads().getSignature().toByteArray()));
        String problem = signed.problem(siteCert.getPublicKey(), "site '" + site + "' ("
                + siteCert.getSubjectX500Principal() + ")");
        SiteHeads heads = null;
        if (problem == null) {
            try {
                heads = SiteHeads.parse(signed.statement());
            } catch (IllegalArgumentException e) {
                problem = "unreadable: " + e.getMessage();
            }
        }
        if (problem == null && (!heads.site().equals(site) || !heads.federationId().equals(federationId)
                || heads.round() != h.getRound())) {
            problem = "it names site '" + heads.site() + "', federation '" + heads.federationId() + "', round "
                    + heads.round() + " but the update is site '" + site + "''s for '" + federationId + "' round "
                    + h.getRound();
        }
        if (problem != null) {
            throw UpdateRefusal.BAD_SIGNATURE.because("the update header's site_heads does not check: " + problem
                    + ". The site must countersign its own heads with the key of the certificate it connects with");
        }
        return Optional.of(signed);
    }

    private static String hexOrNone(byte[] sha) {
        return sha.length == 0 ? "(none)" : Sha256.hex(sha);
    }
}
