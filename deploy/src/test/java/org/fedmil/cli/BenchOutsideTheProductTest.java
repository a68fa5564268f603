package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The product's class path (this module's tests) has no benchmarks: `fedmil bench` says where they are run from. */
class BenchOutsideTheProductTest {

    @Test
    void withoutTheBenchModuleBenchAnyArgumentsSaysToUseASourceCheckoutAndExitsTwo() {
        for (String[] args : new String[][] {{"bench"}, {"bench", "mil", "--dataset", "synth"}, {"bench", "--help"}}) {
            CliRun r = CliRun.of(args);

            assertThat(r.rc()).as(String.join(" ", args)).isEqualTo(2);
            assertThat(r.err()).contains("not part of the install package", "source checkout", "./fedmil bench");
        }
    }

    @Test
    void theTopLevelHelpStillListsBench() {
        CliRun r = CliRun.of("--help");

        assertThat(r.rc()).isZero();
        assertThat(r.out()).containsPattern("(?m)^  bench ");
    }
}
