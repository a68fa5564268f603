package org.fedmil.protocol;

import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The trailer a coordinator sends with a refusal because the operator revoked the site. PERMISSION_DENIED also
 * answers a site the coordinator forgot in a restart, which joins again; a revoked site must not, and must not be
 * told it is being asked to: the trailer tells the two apart without reading the message text.
 */
public final class Revoked {

    public static final Metadata.Key<String> KEY = Metadata.Key.of("fedmil-refusal", Metadata.ASCII_STRING_MARSHALLER);
    private static final String VALUE = "revoked";

    private Revoked() {
    }

    /** Trailers that mark a refusal as a revocation. */
    public static Metadata trailers() {
        Metadata m = new Metadata();
        m.put(KEY, VALUE);
        return m;
    }

    /** Whether {@code e} is a coordinator's refusal of a revoked site. */
    public static boolean is(StatusRuntimeException e) {
        Metadata trailers = Status.trailersFromThrowable(e);
        return e.getStatus().getCode() == Status.Code.PERMISSION_DENIED && trailers != null
                && VALUE.equals(trailers.get(KEY));
    }
}
