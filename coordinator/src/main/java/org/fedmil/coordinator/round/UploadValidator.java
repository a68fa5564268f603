package org.fedmil.coordinator.round;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import org.fedmil.mil.model.EncoderPart;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.Sha256;

/**
 * The checks of an upload's content that need no round state: its hash, tensors, header values, size, and for a
 * plain delta its finiteness and L2 norm. One set of checks for plain and masked uploads (a masked one only skips
 * what the coordinator must not see). Holds nothing mutable, so request threads run it in parallel, before the
 * round state is asked.
 */
final class UploadValidator {

    /**
     * The verdict: the delta's L2 norm (NaN for a masked one), its float32 wire bytes (plain) or its ring values
     * (masked), or why it is refused.
     */
    record Verdict(double norm, byte[] float32Bytes, long[] maskedValues, FederationException refusal) {

        boolean ok() {
            return refusal == null;
        }
    }

    private final FederationPlan plan;
    private final List<TensorSpec> specs;
    private final long coordinates;

    UploadValidator(FederationPlan plan, List<TensorSpec> specs) {
        this.plan = plan;
        this.specs = List.copyOf(specs);
        this.coordinates = specs.stream().mapToLong(TensorSpec::elementCount).sum();
    }

    /** The tensors an update of round {@code r} carries: the encoder's alone in pretraining rounds. */
    List<TensorSpec> expectedSpecs(int r) {
        return plan.isPretrainingRound(r) ? EncoderPart.specs(specs) : specs;
    }

    /** Never throws: a refusal is returned, to be applied after the round state's own checks. */
    Verdict check(IncomingUpdate update) {
        try {
            checkHeader(update);
            return update.masked() ? masked(update) : plain(update);
        } catch (FederationException e) {
            return new Verdict(Double.NaN, null, null, e);
        }
    }

    private void checkHeader(IncomingUpdate update) {
        String what = update.masked() ? "masked delta" : "delta";
        if (update.declaredSha256().length != 32) {
            throw UpdateRefusal.SHA256_MISMATCH.because("the update header's delta_sha256 has "
                    + update.declaredSha256().length + " bytes; a SHA-256 has 32");
        }
        byte[] actualSha = Sha256.of(update.bytes());
        if (!MessageDigest.isEqual(update.declaredSha256(), actualSha)) {
            throw UpdateRefusal.SHA256_MISMATCH.because(what + " SHA-256 mismatch: the header says "
                    + Sha256.hex(update.declaredSha256()) + " but the received bytes hash to " + Sha256.hex(actualSha)
                    + "; the update was discarded, send it again");
        }
        List<TensorSpec> expected = expectedSpecs(update.round());
        if (!update.tensors().equals(expected)) {
            throw UpdateRefusal.WRONG_TENSORS.because("update tensors do not match the federation's "
                    + (plan.isPretrainingRound(update.round()) ? "encoder (round " + update.round()
                    + " is a pretraining round: only the encoder.* tensors are sent)" : "model") + ": "
                    + firstDifference(expected, update.tensors()));
        }
        if (update.trainingBags() <= 0) {
            throw UpdateRefusal.BAD_HEADER_VALUES.because("num_training_bags must be positive, got "
                    + update.trainingBags());
        }
        if (!Double.isFinite(update.trainLoss())) {
            throw UpdateRefusal.BAD_HEADER_VALUES.because("train_loss is " + update.trainLoss()
                    + "; local training diverged, the update was refused");
        }
    }

    /** A masked delta: 8 bytes per coordinate; its content is the coordinator's to sum, never to inspect. */
    private Verdict masked(IncomingUpdate update) {
        if (update.bytes().length != 8 * coordinates) {
            throw UpdateRefusal.WRONG_TENSORS.because("a masked delta has 8 bytes per coordinate, "
                    + 8 * coordinates + " for this model, but " + update.bytes().length + " arrived");
        }
        long[] values = new long[(int) coordinates];
        ByteBuffer.wrap(update.bytes()).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(values);
        return new Verdict(Double.NaN, null, values, null);
    }

    private Verdict plain(IncomingUpdate update) {
        byte[] bytes;
        if (update.encoding() == DeltaEncoding.FLOAT32) {
            long expectedBytes = TensorCodec.byteSize(update.tensors());
            if (expectedBytes != update.bytes().length) {
                throw UpdateRefusal.WRONG_TENSORS.because("tensor bytes: expected " + expectedBytes + " bytes for "
                        + update.tensors() + " but got " + update.bytes().length);
            }
            bytes = update.bytes();
        } else {
            try {
                // a compressed delta becomes float32 here, so every check below and every strategy see plain values
                bytes = TensorCodec.encode(DeltaCodec.decode(update.tensors(), update.encoding(), update.bytes()));
            } catch (IllegalArgumentException e) {
                throw UpdateRefusal.WRONG_TENSORS.because(e.getMessage());
            }
        }
        double norm = finiteNorm(update.tensors(), bytes);
        double bound = plan.rules().maxUpdateL2Norm();
        if (norm > bound) {
            throw UpdateRefusal.NORM_EXCEEDED.because(String.format(Locale.ROOT,
                    "the delta's L2 norm %.4g exceeds the federation's bound limits.max_update_l2_norm = %.4g; "
                            + "the update was refused (check the site's learning rate and data, or raise the bound)",
                    norm, bound));
        }
        return new Verdict(norm, bytes, null, null);
    }

    /** Scanned in place, tensor by tensor, rather than decoded: a decoded copy would double the update's heap. */
    private static double finiteNorm(List<TensorSpec> tensors, byte[] bytes) {
        double sumOfSquares = 0;
        int at = 0;
        for (TensorSpec spec : tensors) {
            int end = at + Math.toIntExact(spec.elementCount());
            for (int j = at; j < end; j++) {
                float v = TensorCodec.floatAt(bytes, j);
                if (!Float.isFinite(v)) {
                    throw UpdateRefusal.NON_FINITE.because("tensor '" + spec.name()
                            + "' holds a NaN or infinite value; local training diverged, the update was refused");
                }
                sumOfSquares += (double) v * v;
            }
            at = end;
        }
        return Math.sqrt(sumOfSquares);
    }

    private static String firstDifference(List<TensorSpec> expected, List<TensorSpec> actual) {
        for (int i = 0; i < Math.max(expected.size(), actual.size()); i++) {
            TensorSpec e = i < expected.size() ? expected.get(i) : null;
            TensorSpec a = i < actual.size() ? actual.get(i) : null;
            if (e == null) {
                return "unexpected extra tensor " + a;
            }
            if (a == null) {
                return "missing tensor " + e;
            }
            if (!e.equals(a)) {
                return "tensor " + (i + 1) + " is " + a + ", expected " + e;
            }
        }
        return "none";
    }
}
