package org.fedmil.site.policy;

/**
 * The site's privacy policy forbids what the federation asks: the agent stops before sending it. The message says
 * which rule (a key of site.yaml's {@code policy} section) and why.
 */
public final class PolicyViolation extends RuntimeException {

    private final String rule;

    public PolicyViolation(String rule, String message) {
        super("site policy rule '" + rule + "': " + message);
        this.rule = rule;
    }

    /** The policy key that was violated, e.g. {@code max_rounds}. */
    public String rule() {
        return rule;
    }
}
