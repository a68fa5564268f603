package org.fedmil.coordinator.state;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.LearningCheck;
import org.fedmil.mil.eval.LearningWarning;
import org.junit.jupiter.api.Test;

class RoundTableTest {

    private static final String SHA = "0123456789abcdef";

    @Test
    void aHeldOutSetOfOneClassReadsNaNotOneWithAnIntervalOfOneToOne() {
        int[] y = {1, 1, 1};
        float[] p = {0.9f, 0.8f, 0.7f};
        BinaryMetrics m = BinaryMetrics.of(y, p);
        AucInterval ci = BinaryMetrics.aucConfidenceInterval(y, p);
        RoundResult r = new RoundResult(2, 2, SHA, List.of("a", "b"), 40, 0.52, m, 1.5, ci,
                LearningCheck.scoredSet("held-out set", y, p, ci, true));

        String line = RoundTable.line(r);

        assertThat(line).doesNotContain("NaN").doesNotContain("1.00–1.00");
        // auc, auc_95ci, then accuracy and sensitivity (every bag called positive), specificity undefined
        assertThat(line.trim().split(" +")).containsSubsequence("0.5200", "n/a", "n/a", "1.0000", "1.0000", "n/a");
        assertThat(line.trim().split(" +")[4]).isEqualTo("n/a");
        assertThat(RoundTable.warningLines(r)).hasSize(2).allSatisfy(w -> assertThat(w).startsWith("  warning "));
        assertThat(RoundTable.warningLines(r).get(0)).startsWith("  warning single_class: held-out set: all 3 bags "
                + "are positive, so AUC is undefined (n/a)");
    }

    @Test
    void theAucIsFollowedByItsBootstrapIntervalUnderTheHeaderAucCi() {
        BinaryMetrics m = new BinaryMetrics(51, 0.9123, 0.84, 0.88, 0.81, 0.31);
        RoundResult r = new RoundResult(3, 3, SHA, List.of("a"), 40, 0.41, m, 2.25,
                new AucInterval(0.851, 0.9695, 2000), List.of());

        String[] header = RoundTable.HEADER.trim().split(" +");
        String[] cells = RoundTable.line(r).trim().split(" +");

        assertThat(header).containsExactly("round", "sites", "bags", "train_loss", "auc", "auc_95ci", "acc", "sens",
                "spec", "loss", "seconds", "model", "val_loss", "val_auc");
        assertThat(cells).containsExactly("3", "1", "40", "0.4100", "0.9123", "0.85–0.97", "0.8400", "0.8800",
                "0.8100", "0.3100", "2.25", "0123456789ab", "-", "-");
        assertThat(RoundTable.warningLines(r)).isEmpty();
    }

    @Test
    void aRoundRecordedWithoutAnIntervalShowsADash() {
        RoundResult r = new RoundResult(0, 0, SHA, List.of(), 0, Double.NaN,
                new BinaryMetrics(40, 0.5, 0.5, 0.5, 0.5, 0.69), 0.5);

        assertThat(RoundTable.line(r).trim().split(" +")).containsSubsequence("-", "0.5000", "-", "0.5000");
    }

    @Test
    void aWarningLineSaysItsCodeAndMessage() {
        RoundResult r = new RoundResult(1, 1, SHA, List.of("a"), 10, 0.69,
                new BinaryMetrics(25, 0.6, 0.5, 0.5, 0.5, 0.69), 1, null,
                List.of(new LearningWarning(LearningWarning.Kind.SMALL_SET, "small held-out set: n=25")));

        assertThat(RoundTable.warningLines(r)).containsExactly("  warning small_set: small held-out set: n=25");
    }
}
