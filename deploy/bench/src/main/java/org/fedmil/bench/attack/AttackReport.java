package org.fedmil.bench.attack;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/** The attack benchmark's Markdown table: one row per attack and strategy, the held-out AUC after every round. */
final class AttackReport {

    private AttackReport() {
    }

    static String line(AttackFederation.Outcome o) {
        return String.format(Locale.ROOT, "attack %s, strategy %s: AUC per round %s; hostile uploads refused %d, "
                + "accepted %d; %.0f s", o.attack().configName(), o.strategy(), aucs(o.aucPerRound()),
                o.hostileRefused(), o.hostileAccepted(), o.seconds());
    }

    static String table(List<AttackFederation.Outcome> outcomes, int honest, int bags, int heldout, long seed,
                        int rounds) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "%d honest sites of %d synthetic bags (seed %d), %d rounds, held-out set "
                + "of %d bags; AUC after rounds 0..%d.%n%n", honest, bags, seed, rounds, heldout, rounds));
        t.append("| attack | strategy | held-out AUC per round | final AUC | hostile uploads refused / accepted | "
                + "refusals by kind |\n|---|---|---|---|---|---|\n");
        for (AttackFederation.Outcome o : outcomes) {
            Map<String, Integer> kinds = new TreeMap<>();
            o.refusalCodes().forEach(k -> kinds.merge(k, 1, Integer::sum));
            List<Double> auc = o.aucPerRound();
            t.append(String.format(Locale.ROOT, "| %s | `%s` | %s | %s | %d / %d | %s |%n", o.attack().configName(),
                    o.strategy(), aucs(auc), auc.isEmpty() ? "–" : fmt(auc.get(auc.size() - 1)), o.hostileRefused(),
                    o.hostileAccepted(), kinds.isEmpty() ? "–" : kinds.toString()));
        }
        return t.toString();
    }

    private static String aucs(List<Double> auc) {
        return String.join(" ", auc.stream().map(AttackReport::fmt).toList());
    }

    private static String fmt(double x) {
        return Double.isNaN(x) ? "n/a" : String.format(Locale.ROOT, "%.3f", x);
    }
}
