package org.fedmil.coordinator.round;

import java.util.List;
import java.util.Optional;
import org.fedmil.mil.eval.ValidationCriterion;

/**
 * Which global model the federation keeps and whether it stops now, decided from the federated validation losses
 * in the run's history alone (never from the held-out set, which stays a test set). Derived from the history on
 * every call, so a restarted coordinator, which reads the history back from metrics.json, decides the same.
 */
public final class ModelChoice {

    private ModelChoice() {
    }

    /** The validated model with the lowest federated validation loss; the earliest on a tie. */
    public static Optional<FederatedValidation> best(List<RoundResult> history) {
        return best(history, Optional.empty(), ValidationCriterion.LOSS);
    }

    /** As {@link #best(List)}, with the final model's validation from the sites' evaluation reports, if any. */
    public static Optional<FederatedValidation> best(List<RoundResult> history, Optional<FederatedValidation> last) {
        return best(history, last, ValidationCriterion.LOSS);
    }

    /** The best validated model by {@code criterion}, the final model's validation included; the earliest on a tie. */
    public static Optional<FederatedValidation> best(List<RoundResult> history, Optional<FederatedValidation> last,
                                                     ValidationCriterion criterion) {
        FederatedValidation best = null;
        for (RoundResult r : history) {
            FederatedValidation v = r.validation();
            if (v != null && (best == null || criterion.better(v.metrics(), best.metrics()))) {
                best = v;
            }
        }
        if (last.isPresent() && (best == null || criterion.better(last.get().metrics(), best.metrics()))) {
            best = last.get();
        }
        return Optional.ofNullable(best);
    }

    /**
     * Why the run stops after {@code history}'s last round, or empty to go on: {@code patience} validated models
     * came after the best without beating it, the last round is at least {@code minRounds}, and the best has learned
     * something (its validation loss is below the constant predictor's by the criterion's margin; records without
     * label counts are taken to have).
     */
    public static Optional<String> stopReason(EarlyStopping rule, List<RoundResult> history) {
        if (!rule.enabled() || history.isEmpty()) {
            return Optional.empty();
        }
        RoundResult last = history.get(history.size() - 1);
        Optional<FederatedValidation> best = best(history, Optional.empty(), rule.criterion());
        if (last.round() < rule.minRounds() || best.isEmpty()) {
            return Optional.empty();
        }
        // records without label counts read as bags of one class, which count as learned
        if (!rule.criterion().learned(best.get().metrics())) {
            return Optional.empty();
        }
        long since = history.stream().map(RoundResult::validation)
                .filter(v -> v != null && v.modelRound() > best.get().modelRound()).count();
        if (since < rule.patience()) {
            return Optional.empty();
        }
        return Optional.of(String.format(java.util.Locale.ROOT, "stopped early after round %d: the federated "
                        + "validation %s has not improved for %d validated models (patience %d); best %.4f, "
                        + "model v%d of round %d", last.round(), rule.criterion().configName().replace('_', ' '),
                since, rule.patience(), rule.criterion().lossOf(best.get().metrics()), best.get().modelVersion(),
                best.get().modelRound()));
    }
}
