package org.fedmil.coordinator.round;

import java.util.Optional;
import org.fedmil.audit.PrivacyClaim;
import org.fedmil.audit.SignedStatement;

/**
 * The statement a site signed for its update (canonical JSON of kind {@code fedmil.update.v1}) and its signature,
 * already checked against the site's certificate; the round log keeps both.
 *
 * @param privacy   the differential privacy the site states it applied, if any
 * @param siteHeads the heads the site countersigned with the update ({@code fedmil.site_heads.v1}), checked against
 *                  its certificate; empty from older sites
 */
public record SignedUpdate(String statementJson, String signature, Optional<PrivacyClaim> privacy,
                           Optional<SignedStatement> siteHeads) {

    public SignedUpdate(String statementJson, String signature, Optional<PrivacyClaim> privacy) {
        this(statementJson, signature, privacy, Optional.empty());
    }

    /** For plain-logic tests that drive {@link FederationRun} without a site key. */
    public static final SignedUpdate UNSIGNED = new SignedUpdate("", "", Optional.empty());
}
