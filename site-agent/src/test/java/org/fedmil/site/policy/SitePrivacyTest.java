package org.fedmil.site.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import org.fedmil.privacy.RdpAccountant;
import org.fedmil.site.config.SitePolicy;
import org.fedmil.site.testing.Deltas;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SitePrivacyTest {

    @TempDir
    Path state;

    private static double epsilonAfter(int releases, double sigma) {
        return RdpAccountant.epsilonOfSampledGaussian(1.0, sigma, releases, 1e-5).epsilon();
    }

    @Test
    void theCoordinatorIsToldThisFederationsSpendNotTheSitesLifetimeSpend() {
        SitePrivacy privacy = new SitePrivacy(new SitePolicy.Dp(true, null, null, null, 100.0), state);
        // three releases to another federation first: the same state folder, the same lifetime ledger
        for (int round = 1; round <= 3; round++) {
            privacy.release("other-fed", round, Deltas.gaussian(round, 50, 1.0), 1.0, 1.0);
        }
        SitePrivacy.Release r = privacy.release("this-fed", 1, Deltas.gaussian(9, 50, 1.0), 1.0, 1.0);

        assertThat(r.claim().epsilonSpent()).isCloseTo(epsilonAfter(1, 1.0), within(1e-9));
        assertThat(privacy.spent().epsilon()).isCloseTo(epsilonAfter(4, 1.0), within(1e-9));
    }

    @Test
    void aPolicyThatAsksForItReportsTheLifetimeSpend() {
        SitePrivacy privacy = new SitePrivacy(new SitePolicy.Dp(true, null, null, null, 100.0,
                SitePolicy.Dp.REPORT_LIFETIME), state);
        privacy.release("other-fed", 1, Deltas.gaussian(1, 50, 1.0), 1.0, 1.0);
        SitePrivacy.Release r = privacy.release("this-fed", 1, Deltas.gaussian(2, 50, 1.0), 1.0, 1.0);

        assertThat(r.claim().epsilonSpent()).isCloseTo(epsilonAfter(2, 1.0), within(1e-9));
    }
}
