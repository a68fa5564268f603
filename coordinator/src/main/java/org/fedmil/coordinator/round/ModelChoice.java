package org.fedmil.coordinator.round;

import java.util.List;
import java.util.Optional;

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
        return best(history, Optional.empty());
    }

    /** As {@link #best(List)}, with the final model's validation from the sites' evaluation reports, if any. */
    public static Optional<FederatedValidation> best(List<RoundResult> history, Optional<FederatedValidation> last) {
        FederatedValidation best = null;
        for (RoundResult r : history) {
            FederatedValidation v = r.validation();
            if (v != null && (best == null || v.loss() < best.loss())) {
                best = v;
            }
        }
        if (last.isPresent() && (best == null || last.get().loss() < best.loss())) {
            best = last.get();
        }
        return Optional.ofNullable(best);
    }

    /**
     * Why the run stops after {@code history}'s last round, or empty to go on: {@code patience} validated models
     * came after the best without beating it, and the last round is at least {@code minRounds}.
     */
    public static Optional<String> stopReason(EarlyStopping rule, List<RoundResult> history) {
        if (!rule.enabled() || history.isEmpty()) {
            return Optional.empty();
        }
        RoundResult last = history.get(history.size() - 1);
        Optional<FederatedValidation> best = best(history);
        if (last.round() < rule.minRounds() || best.isEmpty()) {
            return Optional.empty();
        }
        long since = history.stream().map(RoundResult::validation)
                .filter(v -> v != null && v.modelRound() > best.get().modelRound()).count();
        if (since < rule.patience()) {
            return Optional.empty();
        }
        return Optional.of(String.format(java.util.Locale.ROOT, "stopped early after round %d: the federated "
                        + "validation loss has not improved for %d validated models (patience %d); best %.4f, "
                        + "model v%d of round %d", last.round(), since, rule.patience(), best.get().loss(),
                best.get().modelVersion(), best.get().modelRound()));
    }
}
