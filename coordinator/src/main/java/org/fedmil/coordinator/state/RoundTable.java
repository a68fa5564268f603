package org.fedmil.coordinator.state;

import java.util.Locale;
import org.fedmil.coordinator.round.FederatedValidation;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.mil.eval.BinaryMetrics;

/** The round lines an operator reads on the console: one per round, fixed columns, no surprises for grep. */
public final class RoundTable {

    public static final String HEADER = String.format(Locale.ROOT, "%5s %5s %6s %10s %7s %7s %7s %7s %8s %8s  %-12s %8s %7s",
            "round", "sites", "bags", "train_loss", "auc", "acc", "sens", "spec", "loss", "seconds", "model",
            "val_loss", "val_auc");

    private RoundTable() {
    }

    public static String line(RoundResult r) {
        BinaryMetrics m = r.heldout();
        return String.format(Locale.ROOT, "%5d %5d %6d %10s %7.4f %7.4f %7.4f %7.4f %8.4f %8.2f  %s",
                r.round(), r.sites().size(), r.trainingBags(), Double.isNaN(r.trainLoss()) ? "-" : String.format(Locale.ROOT, "%.4f", r.trainLoss()),
                m.auc(), m.accuracy(), m.sensitivity(), m.specificity(), m.loss(), r.seconds(),
                r.modelSha256().substring(0, 12)) + validation(r);
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
}
