package org.fedmil.secagg;

import java.util.Optional;

/**
 * Secure aggregation could not go on: too few sites left to reach the threshold (the round is aborted, nothing is
 * aggregated), or a participant sent something that does not check. {@link #culprit()} names the site whose message
 * was bad, when one is to blame, so the caller can say who it was.
 */
public class SecAggException extends RuntimeException {

    private final String culprit;

    public SecAggException(String message) {
        this(message, null, null);
    }

    public SecAggException(String message, String culprit) {
        this(message, culprit, null);
    }

    public SecAggException(String message, String culprit, Throwable cause) {
        super(message, cause);
        this.culprit = culprit;
    }

    public Optional<String> culprit() {
        return Optional.ofNullable(culprit);
    }
}
