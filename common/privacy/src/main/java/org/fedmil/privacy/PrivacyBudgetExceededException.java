package org.fedmil.privacy;

import java.nio.file.Path;
import java.util.Locale;

/**
 * A release was refused before it was recorded or sent: it would take the site's lifetime privacy budget past its
 * limit. Checked, because refusing to send is an outcome the caller must handle (skip the round, tell the operator),
 * not a crash.
 */
public final class PrivacyBudgetExceededException extends Exception {

    private final double lifetimeEpsilon;
    private final PrivacySpent spent;
    private final PrivacySpent wouldSpend;
    private final Path ledger;

    public PrivacyBudgetExceededException(double lifetimeEpsilon, PrivacySpent spent, PrivacySpent wouldSpend,
                                          Path ledger, String release) {
        super(String.format(Locale.ROOT, "refusing %s: the site's lifetime privacy budget is ε = %s at δ = %s; "
                        + "spent so far ε = %.4f, after this release it would be ε = %.4f (this release would cost "
                        + "%.4f). Nothing was recorded or sent. The ledger is %s. The operator can stop taking part, "
                        + "agree fewer rounds or a larger noise multiplier with the federation, or — only as a "
                        + "deliberate, documented decision of the data controller — raise the lifetime budget.",
                release, lifetimeEpsilon, spent.delta(), spent.epsilon(), wouldSpend.epsilon(),
                wouldSpend.epsilon() - spent.epsilon(), ledger));
        this.lifetimeEpsilon = lifetimeEpsilon;
        this.spent = spent;
        this.wouldSpend = wouldSpend;
        this.ledger = ledger;
    }

    public double lifetimeEpsilon() {
        return lifetimeEpsilon;
    }

    public PrivacySpent spent() {
        return spent;
    }

    public PrivacySpent wouldSpend() {
        return wouldSpend;
    }

    public Path ledger() {
        return ledger;
    }
}
