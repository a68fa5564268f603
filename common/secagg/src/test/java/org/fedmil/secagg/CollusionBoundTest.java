package org.fedmil.secagg;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CollusionBoundTest {

    /**
     * Brute force over every way to split the honest sites: can the coordinator with c colluders collect t seed
     * shares and t key shares of an honest site u (u gives only a seed share; each honest site gives one kind)?
     */
    private static boolean coordinatorCanUnmask(int n, int t, int c) {
        if (c >= t) {
            return true;
        }
        int honestOthers = n - c - 1;
        for (int toldSurvivor = 0; toldSurvivor <= honestOthers; toldSurvivor++) {
            int seeds = c + 1 + toldSurvivor; // colluders, u itself, and those told u survived
            int keys = c + (honestOthers - toldSurvivor); // colluders and those told u dropped
            if (seeds >= t && keys >= t) {
                return true;
            }
        }
        return false;
    }

    @Test
    void theToleratedColludersMatchABruteForceOfTheLyingCoordinatorsOptions() {
        for (int n = 2; n <= 40; n++) {
            for (int t = 1; t <= n; t++) {
                int tolerated = CollusionBound.toleratedColluders(n, t);
                for (int c = 0; c < n; c++) {
                    assertThat(coordinatorCanUnmask(n, t, c)).as("n=%d t=%d c=%d", n, t, c).isEqualTo(c > tolerated);
                }
            }
        }
    }

    @Test
    void theDefaultMajorityThresholdStopsTheCoordinatorAloneButNotOneOrTwoColluders() {
        // t = ⌊n/2⌋ + 1: odd n tolerates no colluder, even n one
        assertThat(CollusionBound.toleratedColluders(5, 3)).isZero();
        assertThat(CollusionBound.toleratedColluders(4, 3)).isEqualTo(1);
        assertThat(CollusionBound.toleratedColluders(4, 2)).isEqualTo(-1);
        // Bonawitz et al.'s t = ⌊2n/3⌋ + 1 tolerates about n/3
        assertThat(CollusionBound.toleratedColluders(30, 21)).isEqualTo(11);
    }

    @Test
    void thresholdForIsTheSmallestThatToleratesTheColluders() {
        for (int n = 2; n <= 40; n++) {
            for (int c = 0; c < n; c++) {
                int t = CollusionBound.thresholdFor(n, c, 1);
                assertThat(CollusionBound.toleratedColluders(n, t)).isGreaterThanOrEqualTo(c);
                assertThat(CollusionBound.toleratedColluders(n, t - 1)).isLessThan(c);
            }
        }
        assertThat(CollusionBound.thresholdFor(5, 0, 1)).isEqualTo(3); // the default ⌊n/2⌋ + 1
    }
}
