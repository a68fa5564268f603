package org.fedmil.coordinator.round;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import org.fedmil.coordinator.aggregate.UpdateBytes;
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
     * The verdict: the delta's L2 norm (NaN for a masked one), its float32 wire bytes (plain: the received bytes
     * themselves, read again a piece at a time when folded, or the decoded form of a compressed delta) or its ring
     * values (masked), or why it is refused.
     */
    record Verdict(double norm, UpdateBytes float32Bytes, long[] maskedValues, FederationException refusal) {

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

    /**
     * Never throws a refusal: it is returned, to be applied after the round state's own checks. A plain float32
     * delta is checked in one pass over its pieces (hash, finiteness and norm together) without a whole copy; the
     * refusals and their order are those of the whole-array checks (SHA-256, tensors, header values, size,
     * finiteness, norm), so an upload wrong in several ways is refused for the same one either way.
     */
    Verdict check(IncomingUpdate update) {
        try {
            if (!update.masked() && update.encoding() == DeltaEncoding.FLOAT32) {
                return streamed(update);
            }
            byte[] bytes = update.bytes().whole();
            checkHeader(update, Sha256.of(bytes));
            return update.masked() ? masked(bytes) : decoded(update, bytes);
        } catch (FederationException e) {
            return new Verdict(Double.NaN, null, null, e);
        }
    }

    private void checkHeader(IncomingUpdate update, byte[] actualSha) {
        String what = update.masked() ? "masked delta" : "delta";
        if (update.declaredSha256().length != 32) {
            throw UpdateRefusal.SHA256_MISMATCH.because("the update header's delta_sha256 has "
                    + update.declaredSha256().length + " bytes; a SHA-256 has 32");
        }
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
    private Verdict masked(byte[] bytes) {
        if (bytes.length != 8 * coordinates) {
            throw UpdateRefusal.WRONG_TENSORS.because("a masked delta has 8 bytes per coordinate, "
                    + 8 * coordinates + " for this model, but " + bytes.length + " arrived");
        }
        long[] values = new long[(int) coordinates];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(values);
        return new Verdict(Double.NaN, null, values, null);
    }

    /** A float32 delta, read once a piece at a time for its hash, finiteness and norm. */
    private Verdict streamed(IncomingUpdate update) {
        long expectedBytes = TensorCodec.byteSize(update.tensors());
        FloatScan scan = new FloatScan(expectedBytes == update.bytes().size());
        update.bytes().forEachPiece(scan);
        checkHeader(update, scan.sha256());
        if (expectedBytes != update.bytes().size()) {
            throw UpdateRefusal.WRONG_TENSORS.because("tensor bytes: expected " + expectedBytes + " bytes for "
                    + update.tensors() + " but got " + update.bytes().size());
        }
        if (scan.firstNonFinite >= 0) {
            throw nonFinite(update.tensors(), scan.firstNonFinite);
        }
        return withinBound(Math.sqrt(scan.sumOfSquares), update.bytes());
    }

    /** A compressed delta, decoded to float32 so that every check below and every strategy see plain values. */
    private Verdict decoded(IncomingUpdate update, byte[] received) {
        byte[] bytes;
        try {
            bytes = TensorCodec.encode(DeltaCodec.decode(update.tensors(), update.encoding(), received));
        } catch (IllegalArgumentException e) {
            throw UpdateRefusal.WRONG_TENSORS.because(e.getMessage());
        }
        FloatScan scan = new FloatScan(true);
        scan.accept(bytes, bytes.length);
        if (scan.firstNonFinite >= 0) {
            throw nonFinite(update.tensors(), scan.firstNonFinite);
        }
        return withinBound(Math.sqrt(scan.sumOfSquares), UpdateBytes.of(bytes));
    }

    private Verdict withinBound(double norm, UpdateBytes float32) {
        double bound = plan.rules().maxUpdateL2Norm();
        if (norm > bound) {
            throw UpdateRefusal.NORM_EXCEEDED.because(String.format(Locale.ROOT,
                    "the delta's L2 norm %.4g exceeds the federation's bound limits.max_update_l2_norm = %.4g; "
                            + "the update was refused (check the site's learning rate and data, or raise the bound)",
                    norm, bound));
        }
        return new Verdict(norm, float32, null, null);
    }

    /** The refusal naming the tensor that holds element {@code index} of the concatenated delta. */
    private static FederationException nonFinite(List<TensorSpec> tensors, long index) {
        long at = 0;
        String name = tensors.isEmpty() ? "?" : tensors.get(tensors.size() - 1).name();
        for (TensorSpec spec : tensors) {
            at += spec.elementCount();
            if (index < at) {
                name = spec.name();
                break;
            }
        }
        return UpdateRefusal.NON_FINITE.because("tensor '" + name
                + "' holds a NaN or infinite value; local training diverged, the update was refused");
    }

    /**
     * One pass over a delta's pieces: its SHA-256 and, when its size is that of its tensors, the first non-finite
     * value and the sum of squares in element order (in double, as the whole-array scan did: the same norm).
     */
    private static final class FloatScan implements UpdateBytes.PieceSink {
        private final MessageDigest digest = Sha256.newDigest();
        private final boolean values;
        private long element;
        private long firstNonFinite = -1;
        private double sumOfSquares;

        FloatScan(boolean values) {
            this.values = values;
        }

        @Override
        public void accept(byte[] piece, int length) {
            digest.update(piece, 0, length);
            if (!values) {
                return;
            }
            int floats = length / 4;
            for (int j = 0; j < floats; j++) {
                float v = TensorCodec.floatAt(piece, j);
                if (!Float.isFinite(v)) {
                    if (firstNonFinite < 0) {
                        firstNonFinite = element + j;
                    }
                    continue;
                }
                sumOfSquares += (double) v * v;
            }
            element += floats;
        }

        byte[] sha256() {
            return digest.digest();
        }
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
