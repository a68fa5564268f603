package org.fedmil.coordinator.aggregate;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * Norm clipping before any strategy: every update whose delta has global L2 norm ‖Δ‖ above C is scaled to norm C,
 * Δ ← Δ · min(1, C / ‖Δ‖), then handed to the wrapped strategy (an update that arrives as wire bytes is decoded
 * first). Bounds how far one site can pull the aggregate, whatever it sends; the update is not refused.
 */
public final class ClippedStrategy implements Strategy {

    private final Strategy inner;
    private final double clipNorm;

    public ClippedStrategy(Strategy inner, double clipNorm) {
        if (!(clipNorm > 0) || Double.isInfinite(clipNorm)) {
            throw new IllegalArgumentException("clip_norm must be positive and finite, got " + clipNorm);
        }
        this.inner = inner;
        this.clipNorm = clipNorm;
    }

    @Override
    public String name() {
        return inner.name();
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>(inner.parameters());
        p.put("clip_norm", clipNorm);
        return p;
    }

    /**
     * The wrapped strategy's, less {@link Capability#LINEAR} and with {@link Capability#INDIVIDUAL_UPDATES}: a
     * clip needs each update on its own, which secure aggregation never shows the coordinator.
     */
    @Override
    public Set<Capability> capabilities() {
        Set<Capability> c = EnumSet.noneOf(Capability.class);
        c.addAll(inner.capabilities());
        c.remove(Capability.LINEAR);
        c.add(Capability.INDIVIDUAL_UPDATES);
        return c;
    }

    /** The strategy every clipped update is handed to. */
    public Strategy inner() {
        return inner;
    }

    @Override
    public TrainInstructions configure() {
        return inner.configure();
    }

    @Override
    public void beginRound(List<TensorSpec> specs) {
        inner.beginRound(specs);
    }

    @Override
    public void accept(TensorSet delta, long trainingBags) {
        inner.accept(clip(delta, clipNorm), trainingBags);
    }

    @Override
    public int updates() {
        return inner.updates();
    }

    @Override
    public TensorSet finish(TensorSet global) {
        return inner.finish(global);
    }

    @Override
    public OptionalInt maxBufferedUpdates() {
        return inner.maxBufferedUpdates();
    }

    @Override
    public Optional<StrategyState> save() {
        return inner.save();
    }

    @Override
    public void restore(StrategyState state) {
        inner.restore(state);
    }

    /** The delta scaled to L2 norm {@code c} if its norm is larger; itself otherwise. */
    public static TensorSet clip(TensorSet delta, double c) {
        double sq = 0;
        for (NamedTensor t : delta.tensors()) {
            for (float x : t.values()) {
                sq += (double) x * x;
            }
        }
        double norm = Math.sqrt(sq);
        if (norm <= c) {
            return delta;
        }
        double scale = c / norm;
        List<NamedTensor> out = new ArrayList<>(delta.tensors().size());
        for (NamedTensor t : delta.tensors()) {
            float[] v = t.values();
            float[] s = new float[v.length];
            for (int j = 0; j < v.length; j++) {
                s[j] = (float) (v[j] * scale);
            }
            out.add(new NamedTensor(t.name(), t.shape(), s));
        }
        return new TensorSet(out);
    }
}
