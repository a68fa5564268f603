package org.fedmil.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class RosterPointTest {

    @Test
    void aSitesPointIsItsOneBasedPlaceInSiteNameOrderAndAStrangerIsNamed() {
        TreeSet<String> roster = new TreeSet<>(List.of("site-c", "site-a", "site-b"));
        assertThat(RosterPoint.of(roster, "site-a", 4)).isEqualTo(1);
        assertThat(RosterPoint.of(roster, "site-b", 4)).isEqualTo(2);
        assertThat(RosterPoint.of(roster, "site-c", 4)).isEqualTo(3);
        SecAggException e = catchThrowableOfType(SecAggException.class, () -> RosterPoint.of(roster, "site-x", 4));
        assertThat(e).hasMessage("site-x is not in the key roster of round 4");
        assertThat(e.culprit()).contains("site-x");
    }
}
