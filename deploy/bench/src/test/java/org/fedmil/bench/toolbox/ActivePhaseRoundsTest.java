package org.fedmil.bench.toolbox;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.fedmil.mil.active.Uncertainty;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * The active experiment's design options: --initial-rounds (phase 1 may train longer than the phase-2 budget,
 * --rounds) and --rankings (one labelled arm per ranking).
 */
class ActivePhaseRoundsTest {

    private static ToolboxBenchCommand parse(String... extra) {
        ToolboxBenchCommand cmd = new ToolboxBenchCommand();
        String[] base = {"--experiment", "active", "--dataset", "crc-nuclei", "--results", "r.jsonl"};
        String[] args = new String[base.length + extra.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(extra, 0, args, base.length, extra.length);
        new CommandLine(cmd).parseArgs(args);
        return cmd;
    }

    @Test
    void withoutInitialRoundsPhaseOneTrainsAsManyRoundsAsPhaseTwo() {
        assertThat(parse("--rounds", "5").phase1Rounds()).isEqualTo(5);
        assertThat(parse().phase1Rounds()).isEqualTo(10); // --rounds' default
    }

    @Test
    void initialRoundsSetsPhaseOneAloneAndLeavesThePhaseTwoBudget() {
        ToolboxBenchCommand cmd = parse("--rounds", "3", "--initial-rounds", "10");
        assertThat(cmd.phase1Rounds()).isEqualTo(10);
        assertThat(cmd.rounds).isEqualTo(3);
    }

    @Test
    void zeroInitialRoundsIsRejectedBeforeAnythingIsTrained() {
        ToolboxBenchCommand cmd = parse("--initial-rounds", "0");
        assertThatThrownBy(cmd::call).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--initial-rounds must be at least 1 (got 0)");
    }

    @Test
    void eachRankingIsOneArmAndEntropyKeepsTheEarlierArmName() {
        ToolboxBenchCommand cmd = parse("--rankings", "entropy,instance_disagreement,view_disagreement");
        assertThat(cmd.rankings()).containsExactly(Uncertainty.ENTROPY, Uncertainty.INSTANCE_DISAGREEMENT,
                Uncertainty.VIEW_DISAGREEMENT);
        assertThat(cmd.rankings().stream().map(ToolboxBenchCommand::armName)).containsExactly("suggested",
                "suggested-instance_disagreement", "suggested-view_disagreement");
        assertThat(parse().rankings()).containsExactly(Uncertainty.ENTROPY);
    }

    @Test
    void anUnknownRankingIsRejectedBeforeAnythingIsTrainedAndNamesTheChoices() {
        ToolboxBenchCommand cmd = parse("--rankings", "entropy,margin");
        assertThatThrownBy(cmd::call).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown uncertainty 'margin'").hasMessageContaining("instance_disagreement");
    }
}
