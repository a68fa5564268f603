package org.fedmil.bench.mil;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class BenchReportTest {

    private static RunRecord run(long seed, String architecture, String arm, int bags, double auc, double loc) {
        return new RunRecord("d", seed, architecture, arm, bags, 20, auc, auc - 0.1, auc + 0.05, 0.8, 0.7, loc, 1);
    }

    @Test
    void theTableGivesMeanAndSampleStdPerArmAndTheBestLocalSiteOfEachSplit() {
        List<RunRecord> records = List.of(
                run(1, "attention", "federated", 80, 0.90, 0.80),
                run(2, "attention", "federated", 80, 0.80, 0.70),
                run(1, "attention", "centralised", 80, 0.95, 0.9),
                run(2, "attention", "centralised", 80, 0.85, 0.9),
                run(1, "attention", "local:site-1", 30, 0.60, 0.5),
                run(1, "attention", "local:site-2", 50, 0.70, 0.5),
                run(2, "attention", "local:site-1", 30, 0.50, 0.5),
                run(2, "attention", "local:site-2", 50, 0.90, 0.5),
                run(1, "max", "federated", 80, 0.70, Double.NaN));

        String table = BenchReport.table(records);

        // federated 0.85 ± sqrt(((0.05)² + (0.05)²) / 1) = 0.0707; local mean per split 0.65, 0.70; best 0.70, 0.90
        assertThat(table).contains("| attention | 0.850 ± 0.071 | 0.900 ± 0.071 | 0.675 ± 0.035 | 0.800 ± 0.141 "
                + "| 0.750 ± 0.071 | 0.900 ± 0.000 | 2 |");
        // max comes first, as in the literature's tables; an undefined localisation prints as a dash
        assertThat(table.indexOf("| max |")).isLessThan(table.indexOf("| attention |"));
        assertThat(table).contains("| max | 0.700 ± 0.000 | – | – | – | – | – | 1 |");
    }

    @Test
    void theCurveHasAColumnPerTrainingSetSize() {
        List<RunRecord> records = List.of(
                run(1, "attention", "federated", 50, 0.6, 0.5),
                run(2, "attention", "federated", 50, 0.8, 0.5),
                run(1, "attention", "federated", 500, 0.9, 0.5),
                run(1, "attention", "centralised", 500, 0.95, 0.5));

        String curve = BenchReport.curve(records, "federated");

        assertThat(curve).contains("| pooling | 50 bags | 500 bags |")
                .contains("| attention | 0.700 ± 0.141 | 0.900 ± 0.000 |")
                .doesNotContain("0.950");
    }

    @Test
    void standardDeviationIsTheSampleOne() {
        assertThat(BenchReport.std(List.of(1.0, 2.0, 3.0, 4.0))).isCloseTo(Math.sqrt(5.0 / 3), within(1e-12));
        assertThat(BenchReport.std(List.of(7.0))).isZero();
    }

    @Test
    void theDpTableHasARowPerArchitectureAndNoiseLevelWithEpsilonAndTheNoDpBaselineFirst() {
        List<RunRecord> records = List.of(
                dp(1, "federated", null, 0.98, 1.2, null),
                dp(2, "federated", null, 0.96, 1.4, null),
                dp(1, "federated-dp", 1.0, 0.55, 1.3, 20.5),
                dp(2, "federated-dp", 1.0, 0.65, 1.3, 20.5),
                dp(1, "federated-dp", 0.3, 0.52, 1.3, 512.25),
                run(3, "attention", "federated", 500, 0.1, 0.5)); // written before DP: no rounds, left out

        String table = BenchReport.dpTable(records);

        assertThat(table).contains("| attention | no DP | – | ∞ | ∞ | 0.970 ± 0.014 | 10 | 4 | 1.300 ± 0.141 | 2 |")
                .contains("| attention | 1.0 | 1.3 | 20.50 | 82.00 | 0.600 ± 0.071 | 10 | 4 | 1.300 ± 0.000 | 2 |")
                .contains("| attention | 0.3 | 1.3 | 512 | 2049 | 0.520 ± 0.000 | 10 | 4 | 1.300 ± 0.000 | 1 |")
                .doesNotContain("0.100");
        assertThat(table.indexOf("no DP")).isLessThan(table.indexOf("| 0.3 |"));
        assertThat(table.indexOf("| 0.3 |")).isLessThan(table.indexOf("| 1.0 |"));
    }

    private static RunRecord dp(long seed, String arm, Double sigma, double auc, double norm, Double eps) {
        return new RunRecord("d", seed, "attention", arm, 500, 20, auc, auc - 0.1, auc + 0.05, 0.8, 0.7, 0.5, 1, 10,
                4, norm, sigma, sigma == null ? null : 1.3, eps, eps == null ? null : eps * 4);
    }
}
