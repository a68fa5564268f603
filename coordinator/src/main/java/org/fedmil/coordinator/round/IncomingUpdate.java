package org.fedmil.coordinator.round;

import java.util.List;
import java.util.Optional;
import org.fedmil.coordinator.aggregate.UpdateBytes;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorSpec;

/**
 * A site's upload as received: the header's claims and the raw delta bytes, not yet checked.
 *
 * @param bytes          the delta as received, read a piece at a time (from its spool file, or from memory)
 *
 * @param declaredSha256 the SHA-256 the site put in the header; checked against the bytes
 * @param signed         the site's signed statement of the header, checked by the service before the bytes came
 * @param encoding       how {@code bytes} encode the delta; decoded to float32 before any content check
 * @param masked         the bytes are a securely aggregated round's masked delta (little-endian int64 per
 *                       coordinate), not a float encoding
 * @param fractionalBits the fixed-point scale 2^f the site says it encoded a masked delta with
 *                       ({@code UpdateHeader.secure_aggregation.fractional_bits}); checked against the round's f,
 *                       ignored when not {@code masked}
 * @param validation     the base model on the site's validation bags; empty when the site sent none
 */
public record IncomingUpdate(int round, long baseModelVersion, byte[] declaredSha256, long trainingBags,
                             double trainLoss, List<TensorSpec> tensors, UpdateBytes bytes, SignedUpdate signed,
                             DeltaEncoding encoding, boolean masked, int fractionalBits,
                             Optional<ValidationMetrics> validation) {

    public IncomingUpdate {
        validation = validation == null ? Optional.empty() : validation;
    }

    /** With the delta in memory. */
    public IncomingUpdate(int round, long baseModelVersion, byte[] declaredSha256, long trainingBags,
                          double trainLoss, List<TensorSpec> tensors, byte[] bytes, SignedUpdate signed,
                          DeltaEncoding encoding, boolean masked, int fractionalBits,
                          Optional<ValidationMetrics> validation) {
        this(round, baseModelVersion, declaredSha256, trainingBags, trainLoss, tensors, UpdateBytes.of(bytes), signed,
                encoding, masked, fractionalBits, validation);
    }

    /** Without validation. */
    public IncomingUpdate(int round, long baseModelVersion, byte[] declaredSha256, long trainingBags,
                          double trainLoss, List<TensorSpec> tensors, byte[] bytes, SignedUpdate signed,
                          DeltaEncoding encoding, boolean masked, int fractionalBits) {
        this(round, baseModelVersion, declaredSha256, trainingBags, trainLoss, tensors, bytes, signed, encoding,
                masked, fractionalBits, Optional.empty());
    }

    /** This update with a site's validation of its base model. */
    public IncomingUpdate withValidation(ValidationMetrics measured) {
        return new IncomingUpdate(round, baseModelVersion, declaredSha256, trainingBags, trainLoss, tensors, bytes,
                signed, encoding, masked, fractionalBits, Optional.of(measured));
    }

    public IncomingUpdate(int round, long baseModelVersion, byte[] declaredSha256, long trainingBags,
                          double trainLoss, List<TensorSpec> tensors, byte[] bytes, SignedUpdate signed,
                          DeltaEncoding encoding) {
        this(round, baseModelVersion, declaredSha256, trainingBags, trainLoss, tensors, bytes, signed, encoding, false,
                0);
    }

    public IncomingUpdate(int round, long baseModelVersion, byte[] declaredSha256, long trainingBags,
                          double trainLoss, List<TensorSpec> tensors, byte[] bytes, SignedUpdate signed) {
        this(round, baseModelVersion, declaredSha256, trainingBags, trainLoss, tensors, bytes, signed,
                DeltaEncoding.FLOAT32);
    }

    /** An update without a site signature, for plain-logic tests of the round rules. */
    public IncomingUpdate(int round, long baseModelVersion, byte[] declaredSha256, long trainingBags,
                          double trainLoss, List<TensorSpec> tensors, byte[] bytes) {
        this(round, baseModelVersion, declaredSha256, trainingBags, trainLoss, tensors, bytes, SignedUpdate.UNSIGNED);
    }
}
