package org.fedmil.coordinator.round;

import java.util.Optional;
import org.fedmil.audit.PrivacyClaim;

/**
 * The statement a site signed for its update (canonical JSON of kind {@code fedmil.update.v1}) and its signature,
 * already checked against the site's certificate; the round log keeps both.
 *
 * @param privacy the differential privacy the site states it applied, if any
 */
public record SignedUpdate(String statementJson, String signature, Optional<PrivacyClaim> privacy) {

    /** For plain-logic tests that drive {@link FederationRun} without a site key. */
    public static final SignedUpdate UNSIGNED = new SignedUpdate("", "", Optional.empty());
}
