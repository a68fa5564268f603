package org.fedmil.coordinator.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The rule of when a federation waiting for sites is told it cannot reach min_sites after revocations. */
class QuorumCheckTest {

    @Test
    void revokingOneOfThreeKnownSitesWithMinSitesThreeIsWarnedWithTheWaysOut() {
        assertThat(QuorumCheck.warning("fed", 3, List.of("a", "b", "c"), List.of("a"), List.of("c")))
                .hasValueSatisfying(w -> assertThat(w).contains("federation 'fed' cannot reach min_sites 3",
                        "of the 3 sites that joined it, 1 is revoked (c), so at most 2 can join again",
                        "lower min_sites in coordinator.yaml (or --min-sites 2)", "fedmil pki issue site",
                        "fedmil admin abort"));
    }

    @Test
    void noWarningWhileEnoughKnownSitesAreNotRevokedOrEnoughAreJoined() {
        // 3 of 4 known sites are left for min_sites 3
        assertThat(QuorumCheck.warning("fed", 3, List.of("a", "b", "c", "d"), List.of(), List.of("d"))).isEmpty();
        // enough joined already
        assertThat(QuorumCheck.warning("fed", 2, List.of("a", "b", "c"), List.of("a", "b"), List.of("c"))).isEmpty();
    }

    @Test
    void withoutARevokedKnownSiteTheWaitMayStillEndAndIsNotWarnedOf() {
        // sites that never joined yet may still come: the coordinator cannot tell how many were issued
        assertThat(QuorumCheck.warning("fed", 3, List.of("a", "b"), List.of(), List.of())).isEmpty();
        assertThat(QuorumCheck.warning("fed", 3, List.of("a", "b"), List.of(), List.of("z"))).isEmpty();
    }
}
