package org.fedmil.coordinator.round;

import io.grpc.Status;

/**
 * A request the federation refuses. The code is the gRPC status a site sees; the message says what was wrong
 * and what the site should do about it. Refused uploads also carry their {@link UpdateRefusal} kind.
 */
public final class FederationException extends RuntimeException {

    private final Status.Code code;
    private final UpdateRefusal refusal;

    public FederationException(Status.Code code, String message) {
        this(code, null, message);
    }

    FederationException(Status.Code code, UpdateRefusal refusal, String message) {
        super(message);
        this.code = code;
        this.refusal = refusal;
    }

    public Status.Code code() {
        return code;
    }

    /** The kind of upload refusal, or null when this refused something other than an upload. */
    public UpdateRefusal refusal() {
        return refusal;
    }

    public io.grpc.StatusRuntimeException toStatus() {
        return Status.fromCode(code).withDescription(getMessage()).asRuntimeException();
    }
}
