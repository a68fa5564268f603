package org.fedmil.coordinator.state;

import java.util.List;
import java.util.Locale;
import org.fedmil.coordinator.round.FederatedValidation;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.mil.eval.AucInterval;
import org.fedmil.mil.eval.BinaryMetrics;

/**
 * The round lines an operator reads on the console: one per round, fixed columns, no surprises for grep; a metric
 * that is undefined (an AUC over one class) reads "n/a". A round's warnings follow its line, one per line, each
 * starting with "  warning ".
 */
public final class RoundTable {

    public static final String HEADER = String.format(Locale.ROOT,
            "%5s %5s %6s %10s %7s %11s %7s %7s %7s %8s %8s  %-12s %8s %7s", "round", "sites", "bags", "train_loss",
            "auc", "auc_95ci", "acc", "sens", "spec", "loss", "seconds", "model", "val_loss", "val_auc");

    private RoundTable() {
    }

    public static String line(RoundResult r) {
        BinaryMetrics m = r.heldout();
        return String.format(Locale.ROOT, "%5d %5d %6d %10s %7s %11s %7s %7s %7s %8s %8.2f  %-12s",
                r.round(), r.sites().size(), r.trainingBags(), Double.isNaN(r.trainLoss()) ? "-" : String.format(Locale.ROOT, "%.4f", r.trainLoss()),
                fixed(m.auc()), interval(r.heldoutAucCi()), fixed(m.accuracy()), fixed(m.sensitivity()),
                fixed(m.specificity()), fixed(m.loss()), r.seconds(), r.modelSha256().substring(0, 12))
                + validation(r);
    }

    /**
     * The sites' validation in this round's uploads, of the model the round started from (round r−1's): "-" when
     * none was reported, "n/a" for an AUC no site could compute.
     */
    private static String validation(RoundResult r) {
        FederatedValidation v = r.validation();
        if (v == null) {
            return String.format(Locale.ROOT, " %8s %7s", "-", "-");
        }
        return String.format(Locale.ROOT, " %8.4f %7s", v.loss(),
                v.auc() == null ? "n/a" : String.format(Locale.ROOT, "%.4f", v.auc()));
    }

    /** The round's warnings, as printed under its line. */
    public static List<String> warningLines(RoundResult r) {
        return r.warnings().stream().map(w -> "  " + w).toList();
    }

    /** "0.9123", or "n/a" for an undefined value. */
    public static String fixed(double x) {
        return Double.isNaN(x) ? "n/a" : String.format(Locale.ROOT, "%.4f", x);
    }

    /** "0.85–0.97"; "n/a" when the AUC is undefined, "-" when no interval was computed. */
    private static String interval(AucInterval ci) {
        if (ci == null) {
            return "-";
        }
        return ci.isDefined() ? String.format(Locale.ROOT, "%.2f–%.2f", ci.lower(), ci.upper()) : "n/a";
    }
}
