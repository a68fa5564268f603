package org.fedmil.site.outbound;

import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.ErrorFeedback;

/**
 * Encodes the delta in the round's delta encoding, with error feedback: what rounding took off one round's delta
 * is added to the next one's. It runs after DP, so the residual is of the released delta and carrying it over is
 * post-processing. Each call encodes a new round (and moves the residual on); a resend reuses the bytes.
 */
public final class CompressionFilter implements OutboundFilter {

    /** The residual of the last lossy upload; null until one is asked. */
    private ErrorFeedback feedback;

    @Override
    public synchronized Outbound apply(Outbound update) {
        DeltaEncoding encoding = update.release().encoding();
        if (feedback == null || feedback.encoding() != encoding) {
            // (a residual of other tensors, a pretraining round's encoder-only one, is not carried over: see
            // ErrorFeedback.encode)
            feedback = new ErrorFeedback(encoding);
        }
        if (encoding == DeltaEncoding.FLOAT32) {
            // lossless, so no residual: the bytes are encoded from the delta as they are sent, not held beside it
            return update.encodedAsFloat32();
        }
        return update.encoded(encoding, feedback.encode(update.delta()));
    }

    /** Forgets the residual: it belongs to the federation whose model it was rounded off. */
    public synchronized void reset() {
        feedback = null;
    }
}
