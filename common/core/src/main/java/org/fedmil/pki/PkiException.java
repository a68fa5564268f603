package org.fedmil.pki;

/**
 * A credential problem the operator can fix: a missing or foreign file, an existing CA, a bad
 * name. The message names the file and the command to run, so callers print it as is, without
 * a stack trace.
 */
public final class PkiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public PkiException(String message) {
        super(message);
    }

    public PkiException(String message, Throwable cause) {
        super(message, cause);
    }
}
