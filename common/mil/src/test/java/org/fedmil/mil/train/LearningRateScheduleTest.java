package org.fedmil.mil.train;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** Every schedule's rate per step and round against values worked out by hand from its definition. */
class LearningRateScheduleTest {

    private static final double TOL = 1e-12;

    /** The rates a site with {@code steps} updates per round trains with in every round of a 4-round federation. */
    private static List<Double> rates(LearningRateSchedule s, double base, int rounds, int steps) {
        List<Double> out = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            StepRates r = s.forRound(base, round, rounds);
            for (int step = 0; step < steps; step++) {
                out.add(r.rate(step, steps));
            }
        }
        return out;
    }

    @Test
    void cosineWithOneWarmupRoundOfFourGivesTheHandComputedRatePerStep() {
        // base 0.1, 4 rounds, 1 warm-up round, 2 steps a round: positions 0, 0.5 | 1, 1.5 | 2, 2.5 | 3, 3.5.
        // Warm-up: 0.1 · p; then 0.05 · (1 + cos(π (p − 1) / 3)).
        List<Double> r = rates(LearningRateSchedule.cosine(1, 0), 0.1, 4, 2);
        double[] expected = {
            0.0, 0.05,
            0.1, 0.05 * (1 + Math.sqrt(3) / 2),       // cos(π/6)
            0.075, 0.05,                               // cos(π/3) = 0.5, cos(π/2) = 0
            0.025, 0.05 * (1 - Math.sqrt(3) / 2),      // cos(2π/3) = −0.5, cos(5π/6)
        };
        assertThat(r).hasSize(expected.length);
        for (int i = 0; i < expected.length; i++) {
            assertThat(r.get(i)).as("step %d", i).isCloseTo(expected[i], within(TOL));
        }
    }

    @Test
    void cosineEndsAtTheMinimumRateAndNeverBelowIt() {
        LearningRateSchedule s = LearningRateSchedule.cosine(0, 0.01);
        // no warm-up: the first step of round 1 is at the full rate; the end of the last round at the minimum
        assertThat(s.cosineRate(0.1, 0, 4)).isCloseTo(0.1, within(TOL));
        // halfway: 0.01 + 0.09 · ½ = 0.055
        assertThat(s.cosineRate(0.1, 2, 4)).isCloseTo(0.055, within(TOL));
        assertThat(s.cosineRate(0.1, 4, 4)).isCloseTo(0.01, within(TOL));
        assertThat(rates(s, 0.1, 4, 7)).allSatisfy(x -> assertThat(x).isBetween(0.01, 0.1));
    }

    @Test
    void aRoundStartsWhereThePreviousRoundLeftOffWhateverTheSitesStepCount() {
        // a site knows nothing of earlier rounds: round 3's first step must be the schedule at position 2, for a
        // site of 3 steps and one of 50 alike, and each round's rates must continue the previous round's
        LearningRateSchedule s = LearningRateSchedule.cosine(0.5, 0);
        for (int steps : new int[]{3, 50}) {
            assertThat(s.forRound(0.2, 3, 5).rate(0, steps)).isCloseTo(s.cosineRate(0.2, 2, 5), within(TOL));
            double lastOfRound2 = s.forRound(0.2, 2, 5).rate(steps - 1, steps);
            double firstOfRound3 = s.forRound(0.2, 3, 5).rate(0, steps);
            assertThat(firstOfRound3).isLessThan(lastOfRound2);
            assertThat(lastOfRound2 - firstOfRound3).isLessThan(0.2 * Math.PI / 4 / steps * 1.01);
        }
    }

    @Test
    void constantAndPlateauKeepTheirRateThroughoutARound() {
        assertThat(rates(LearningRateSchedule.CONSTANT, 0.003, 3, 4)).containsOnly(0.003);
        assertThat(rates(LearningRateSchedule.reduceOnPlateau(0.5, 1, 0, 0), 0.003, 3, 4)).containsOnly(0.003);
    }

    @Test
    void reduceOnPlateauHalvesTheRateAfterMoreThanPatienceRoundsWithoutImprovement() {
        // losses of rounds 0..7; patience 1, threshold 0, factor 0.5, base 0.1. Replay:
        // 0.70 best | 0.60 best | 0.61 bad 1 | 0.62 bad 2 > 1 → 0.05 | 0.55 best | 0.56 bad 1 | 0.57 bad 2 → 0.025 |
        // 0.58 bad 1. The rate for round r sees the losses of rounds 0..r−1.
        List<Double> losses = List.of(0.70, 0.60, 0.61, 0.62, 0.55, 0.56, 0.57, 0.58);
        double[] expectedForRound = {Double.NaN, 0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025};
        LearningRateSchedule s = LearningRateSchedule.reduceOnPlateau(0.5, 1, 0, 0);
        for (int round = 1; round <= 8; round++) {
            assertThat(s.plateauRate(0.1, losses.subList(0, round))).as("round %d", round)
                    .isCloseTo(expectedForRound[round], within(TOL));
        }
    }

    @Test
    void reduceOnPlateauStopsAtTheMinimumRate() {
        List<Double> flat = List.of(0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7);
        // patience 0: every round without improvement halves: 0.1 → 0.05 → 0.025 → floor 0.03
        LearningRateSchedule s = LearningRateSchedule.reduceOnPlateau(0.5, 0, 0, 0.03);
        assertThat(s.plateauRate(0.1, flat.subList(0, 2))).isCloseTo(0.05, within(TOL));
        assertThat(s.plateauRate(0.1, flat.subList(0, 3))).isCloseTo(0.03, within(TOL));
        assertThat(s.plateauRate(0.1, flat)).isCloseTo(0.03, within(TOL));
    }

    @Test
    void aSmallerImprovementThanTheThresholdDoesNotCount() {
        // threshold 0.1: after 0.70 only a loss below 0.63 counts; 0.65 is a bad round, and with patience 0 halves
        LearningRateSchedule s = LearningRateSchedule.reduceOnPlateau(0.5, 0, 0.1, 0);
        assertThat(s.plateauRate(0.1, List.of(0.70, 0.65))).isCloseTo(0.05, within(TOL));
        assertThat(s.plateauRate(0.1, List.of(0.70, 0.62))).isCloseTo(0.1, within(TOL));
    }

    @Test
    void anEmptyHeldOutSetsNanLossIsNoEvidenceEitherWay() {
        LearningRateSchedule s = LearningRateSchedule.reduceOnPlateau(0.5, 0, 0, 0);
        assertThat(s.plateauRate(0.1, List.of(0.5, Double.NaN, Double.NaN))).isCloseTo(0.1, within(TOL));
    }

    @Test
    void aScheduleThatCannotRunTheFederationSaysWhy() {
        assertThat(LearningRateSchedule.cosine(5, 0).problemFor(5, 0.1)).hasValueSatisfying(p ->
                assertThat(p).contains("warmup_rounds (5.0)").contains("5 rounds"));
        assertThat(LearningRateSchedule.cosine(1, 0.2).problemFor(5, 0.1)).hasValueSatisfying(p ->
                assertThat(p).contains("min_learning_rate (0.2)"));
        assertThat(LearningRateSchedule.cosine(1, 0).problemFor(5, 0.1)).isEmpty();
        assertThatThrownBy(() -> LearningRateSchedule.reduceOnPlateau(1.5, 1, 0, 0))
                .hasMessageContaining("factor must be in (0, 1), got 1.5");
        assertThatThrownBy(() -> LearningRateSchedule.cosine(1, 0).forRound(0.1, 6, 5))
                .hasMessageContaining("round 6 is outside the federation's 1..5");
        assertThatThrownBy(() -> LearningRateSchedule.Kind.fromConfigName("linear"))
                .hasMessageContaining("unknown learning-rate schedule 'linear'").hasMessageContaining("cosine");
    }
}
