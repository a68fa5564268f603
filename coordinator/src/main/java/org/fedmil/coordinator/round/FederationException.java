package org.fedmil.coordinator.round;

import io.grpc.Status;

/**
 * A request the federation refuses. The code is the gRPC status a site sees; the message says what was wrong
 * and what the site should do about it.
 */
public final class FederationException extends RuntimeException {

    private final Status.Code code;

    public FederationException(Status.Code code, String message) {
        super(message);
        this.code = code;
    }

    public Status.Code code() {
        return code;
    }

    public io.grpc.StatusRuntimeException toStatus() {
        return Status.fromCode(code).withDescription(getMessage()).asRuntimeException();
    }
}
