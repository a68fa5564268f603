package org.fedmil.coordinator.aggregate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * Norm clipping before any strategy: every update whose delta has global L2 norm ‖Δ‖ above C is scaled to norm C,
 * Δ ← Δ · min(1, C / ‖Δ‖), then handed to the wrapped strategy. Streaming (one update at a time). Bounds how far
 * one site can pull the average, whatever it sends; the update is not refused.
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

    @Override
    public double proximalMu() {
        return inner.proximalMu();
    }

    @Override
    public boolean streaming() {
        return inner.streaming();
    }

    @Override
    public Aggregator beginRound(List<TensorSpec> specs) {
        Aggregator round = inner.beginRound(specs);
        return new Aggregator() {
            @Override
            public void accept(TensorSet delta, long trainingBags) {
                round.accept(clip(delta, clipNorm), trainingBags);
            }

            @Override
            public int updates() {
                return round.updates();
            }

            @Override
            public Aggregate aggregate() {
                return round.aggregate();
            }

            @Override
            public TensorSet apply(TensorSet global) {
                return round.apply(global);
            }
        };
    }

    @Override
    public TensorSet finishRound(TensorSet global, Aggregate aggregate) {
        return inner.finishRound(global, aggregate);
    }

    @Override
    public boolean stateful() {
        return inner.stateful();
    }

    @Override
    public Optional<StrategyState> state() {
        return inner.state();
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
