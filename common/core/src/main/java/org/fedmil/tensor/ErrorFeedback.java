package org.fedmil.tensor;

/**
 * Error feedback (Seide et al. 2014; Karimireddy et al. 2019) for lossy deltas, kept at the site: what rounding
 * took off this round's delta is added to the next round's before it is encoded, so the errors do not pile up
 * and, summed over rounds, the coordinator receives what the site trained. Chosen over stochastic rounding because
 * it is deterministic (a round's bytes follow from the delta alone, which keeps signed statements reproducible)
 * and its error stays bounded by one round's rounding instead of growing as a random walk.
 *
 * <p>The residual is of the delta as the site would send it, so under differential privacy it is applied after
 * the Gaussian mechanism and is post-processing of what was already released. It lives in memory: a restarted
 * site starts with no residual, which loses at most one round's rounding error.
 */
public final class ErrorFeedback {

    private final DeltaEncoding encoding;
    private TensorSet residual;

    public ErrorFeedback(DeltaEncoding encoding) {
        this.encoding = encoding;
    }

    /** The encoded bytes to send for {@code delta}; remembers what the encoding lost for the next call. */
    public byte[] encode(TensorSet delta) {
        TensorSet compensated = residual != null && residual.specs().equals(delta.specs())
                ? delta.plus(residual) : delta;
        byte[] bytes = DeltaCodec.encode(compensated, encoding);
        residual = encoding == DeltaEncoding.FLOAT32 ? null
                : compensated.minus(DeltaCodec.decode(delta.specs(), encoding, bytes));
        return bytes;
    }

    /** What this site still owes the coordinator; null before the first lossy round. */
    public TensorSet residual() {
        return residual;
    }

    public DeltaEncoding encoding() {
        return encoding;
    }
}
