package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The round's weight rules: a claim within the declaration, the share cap's water level, and when it is off. */
class RoundWeightsTest {

    private static Map<String, SiteJoin> declaring(long... bags) {
        Map<String, SiteJoin> joins = new LinkedHashMap<>();
        for (int i = 0; i < bags.length; i++) {
            joins.put("site-" + (char) ('a' + i), new SiteJoin("test", "cpu()", Map.of(0, bags[i])));
        }
        return joins;
    }

    @Test
    void theCapIsTheWaterLevelAtWhichNoDeclarationWeighsMoreThanItsShare() {
        // c = ½(min(10¹², c) + 100 + 100) → c = 200: the giant's share of 200 + 100 + 100 is exactly ½
        assertThat(RoundWeights.waterLevel(new long[] {1_000_000_000_000L, 100, 100}, 0.5)).isEqualTo(200);
        // two giants and a small site, s = 0.4: both giants clamped, c = 0.4(2c + 30) → c = 60
        assertThat(RoundWeights.waterLevel(new long[] {1000, 1000, 30}, 0.4)).isEqualTo(60);
        // nobody above half: no cap
        assertThat(RoundWeights.waterLevel(new long[] {40, 30, 30}, 0.5)).isEqualTo(RoundWeights.NO_CAP);
    }

    @Test
    void aClampedWeightIsTheClaimOrTheCapWhicheverIsSmaller() {
        RoundWeights w = RoundWeights.open(declaring(1_000_000, 100, 100), 0.5);

        assertThat(w.cap()).isEqualTo(200);
        assertThat(w.weightOf(1_000_000)).isEqualTo(200);
        assertThat(w.weightOf(80)).isEqualTo(80);
    }

    @Test
    void aClaimAboveTheDeclarationIsRefusedAsOverDeclared() {
        RoundWeights w = RoundWeights.open(declaring(5, 100, 100), 0.5);

        w.requireClaimable("site-a", 1, 5);
        assertThatThrownBy(() -> w.requireClaimable("site-a", 1, 6)).isInstanceOfSatisfying(FederationException.class,
                e -> assertThat(e.refusal()).isEqualTo(UpdateRefusal.OVER_DECLARED));
    }

    @Test
    void withFewerThanThreeParticipantsAHalfShareCapIsOffAndSaysWhy() {
        RoundWeights two = RoundWeights.open(declaring(1000, 10), 0.5);

        assertThat(two.cap()).isEqualTo(RoundWeights.NO_CAP);
        assertThat(two.capNote()).isEqualTo("off (2 participants: a share cap of 0.5 needs more than 2)");
        // the declaration still bounds the claim
        assertThatThrownBy(() -> two.requireClaimable("site-b", 1, 11)).isInstanceOf(FederationException.class);
    }

    @Test
    void eachParticipantIsAssignedItsDeclarationClampedToTheCapTheWeightASecureRoundTellsItToUse() {
        RoundWeights w = RoundWeights.open(declaring(1_000_000, 100, 100), 0.5);

        assertThat(w.assignedWeight("site-a")).isEqualTo(200);
        assertThat(w.assignedWeight("site-b")).isEqualTo(100);
        // a claim within the assignment weighs what it claims, as the site weighs it
        assertThat(w.weightOf(150)).isEqualTo(150);
    }

    @Test
    void aNegativeDeclaredCountIsRefused() {
        assertThatThrownBy(() -> RoundWeights.declaredBags("site-a", new SiteJoin("t", "cpu()", Map.of(0, -5L))))
                .isInstanceOf(FederationException.class).hasMessageContaining("declares -5 bags of label 0");
    }

    // The service refuses any count above 10^9 at join (JoinDeclaration), so these sums cannot overflow through
    // the wire today; the round's own checked sums are the second line, pinned here directly.
    @Test
    void aDeclarationWhoseTotalOverflowsALongIsRefusedNotWrapped() {
        assertThatThrownBy(() -> RoundWeights.declaredBags("site-a",
                new SiteJoin("t", "cpu()", Map.of(0, Long.MAX_VALUE, 1, 1L))))
                .isInstanceOf(FederationException.class)
                .hasMessageContaining("whose total exceeds " + Long.MAX_VALUE);
    }

    @Test
    void aJoinThatWouldOverflowTheFederationsTotalIsRefused() {
        Map<String, SiteJoin> joined = declaring(Long.MAX_VALUE / 2 + Long.MAX_VALUE / 4);

        assertThatThrownBy(() -> RoundWeights.requireCountable("site-b",
                new SiteJoin("t", "cpu()", Map.of(0, Long.MAX_VALUE / 2)), joined))
                .isInstanceOf(FederationException.class)
                .hasMessageContaining("the federation's total would exceed " + Long.MAX_VALUE);
    }

    @Test
    void aSiteDeclaringMoreThanTheCapAddsItsLabelCountsScaledToTheCap() {
        Map<String, SiteJoin> joins = new LinkedHashMap<>();
        joins.put("site-a", new SiteJoin("test", "cpu()", Map.of(0, 60L, 1, 40L)));
        joins.put("site-b", new SiteJoin("test", "cpu()", Map.of(0, 50L, 1, 50L)));
        joins.put("hostile", new SiteJoin("test", "cpu()", Map.of(0, 1_000_000_000L, 1, 0L)));
        RoundWeights weights = RoundWeights.open(joins, 0.5);

        // the cap is the water level 200 (= ½ of 100 + 100 + 200): the hostile site counts as 200 negatives
        assertThat(weights.cap()).isEqualTo(200);
        assertThat(weights.labelsOf("hostile", joins.get("hostile")))
                .isEqualTo(new org.fedmil.mil.data.LabelCounts(200, 0));
        assertThat(weights.labelsOf("site-a", joins.get("site-a")))
                .isEqualTo(new org.fedmil.mil.data.LabelCounts(60, 40));
    }
}
