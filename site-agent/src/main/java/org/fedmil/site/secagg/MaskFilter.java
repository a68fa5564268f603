package org.fedmil.site.secagg;

import org.fedmil.site.outbound.Outbound;
import org.fedmil.site.outbound.OutboundFilter;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;

/**
 * Secure aggregation's step on the way out: the encoded delta (as the coordinator would have decoded it) becomes
 * this site's masked input, one little-endian int64 per coordinate in fixed point, which alone tells the
 * coordinator nothing. The session masks once; a resend is the same bytes.
 */
public final class MaskFilter implements OutboundFilter {

    private final SecAggSession session;

    MaskFilter(SecAggSession session) {
        this.session = session;
    }

    @Override
    public Outbound apply(Outbound update) {
        byte[] masked = session.mask(() -> flat(update), update.trainingBags());
        return update.masked(masked, session.parameters().fractionalBits());
    }

    private static float[] flat(Outbound update) {
        TensorSet delta = DeltaCodec.decode(update.specs(), update.encoding(), update.bytes());
        float[] out = new float[Math.toIntExact(delta.parameterCount())];
        int at = 0;
        for (NamedTensor t : delta.tensors()) {
            System.arraycopy(t.values(), 0, out, at, t.size());
            at += t.size();
        }
        return out;
    }
}
