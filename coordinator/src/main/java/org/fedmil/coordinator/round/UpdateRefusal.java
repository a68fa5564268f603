package org.fedmil.coordinator.round;

import io.grpc.Status;

/**
 * Why an upload was refused, one kind per cause, so that operators can count refusals by kind and a site sees
 * a distinct gRPC status and reason for each. The names are written to the state folder's refusals.json.
 */
public enum UpdateRefusal {
    /** The caller never joined (or the coordinator restarted and it has not joined again). */
    NOT_JOINED(Status.Code.PERMISSION_DENIED),
    /** The update's round is not the open round: a straggler after its round closed, or a replay. */
    ROUND_CLOSED(Status.Code.FAILED_PRECONDITION),
    /** The site joined after the round started. */
    NOT_PARTICIPANT(Status.Code.FAILED_PRECONDITION),
    /** The site already has a different update in this round. */
    DUPLICATE(Status.Code.ALREADY_EXISTS),
    /** Trained from another global model version than the round's: a replay or a confused site. */
    STALE_BASE_MODEL(Status.Code.FAILED_PRECONDITION),
    /** The bytes do not hash to the header's SHA-256. */
    SHA256_MISMATCH(Status.Code.INVALID_ARGUMENT),
    /** Tensor names, shapes or the announced byte count differ from the federation's model. */
    WRONG_TENSORS(Status.Code.INVALID_ARGUMENT),
    /** num_training_bags not positive or train_loss not finite. */
    BAD_HEADER_VALUES(Status.Code.INVALID_ARGUMENT),
    /** A NaN or infinite value in the delta. */
    NON_FINITE(Status.Code.INVALID_ARGUMENT),
    /** The delta's L2 norm exceeds limits.max_update_l2_norm. */
    NORM_EXCEEDED(Status.Code.INVALID_ARGUMENT),
    /** The delta's L2 norm exceeds strategy.max_norm_to_median times the previous round's median norm. */
    NORM_OUTLIER(Status.Code.INVALID_ARGUMENT),
    /** num_training_bags, the update's FedAvg weight, exceeds the bags the site declared when it joined. */
    OVER_DECLARED(Status.Code.INVALID_ARGUMENT),
    /** The announced size exceeds limits.max_update_bytes, or a chunk exceeds the protocol's chunk size. */
    TOO_LARGE(Status.Code.RESOURCE_EXHAUSTED),
    /** The stream ended before the announced bytes arrived. */
    TRUNCATED(Status.Code.INVALID_ARGUMENT),
    /** A data chunk's offset is not where the previous one ended (reordered, repeated or missing chunk). */
    OUT_OF_ORDER(Status.Code.INVALID_ARGUMENT),
    /** The site's signature over its update statement is missing or does not check against its certificate. */
    BAD_SIGNATURE(Status.Code.INVALID_ARGUMENT),
    /** The federation requires differential privacy and the update states none, or less than required. */
    PRIVACY_NOT_MET(Status.Code.INVALID_ARGUMENT),
    /** The round's aggregator cannot take more updates (strategy.max_buffered_updates of median / trimmed_mean). */
    AGGREGATOR_FULL(Status.Code.RESOURCE_EXHAUSTED),
    /** No header first, a second header, or an empty stream. */
    MALFORMED(Status.Code.INVALID_ARGUMENT),
    /**
     * Any call that met a fault of the coordinator rather than a refusal it knows: answered INTERNAL with an
     * incident id that the coordinator's log holds the stack trace under; nothing of the request was kept.
     */
    INTERNAL_ERROR(Status.Code.INTERNAL);

    private final Status.Code code;

    UpdateRefusal(Status.Code code) {
        this.code = code;
    }

    public Status.Code code() {
        return code;
    }

    /** The refusal a site sees: this kind's status, with a reason that says what was wrong and what to do. */
    public FederationException because(String reason) {
        return new FederationException(code, this, reason);
    }
}
