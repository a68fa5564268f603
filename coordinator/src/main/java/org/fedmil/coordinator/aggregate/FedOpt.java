package org.fedmil.coordinator.aggregate;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * FedAdam and FedYogi (Reddi et al. 2021, "Adaptive Federated Optimization", Algorithm 2): the round's weighted
 * mean delta Δ (FedAvg's, weighted by training bags) is a pseudo-gradient for a server optimiser:
 *
 * <pre>
 *   m ← β₁ m + (1 − β₁) Δ
 *   v ← β₂ v + (1 − β₂) Δ²                      (FedAdam)
 *   v ← v − (1 − β₂) Δ² sign(v − Δ²)            (FedYogi)
 *   w ← w + η m / (√v + τ)
 * </pre>
 *
 * coordinate-wise, with m = 0 and v = τ² before the first round (the paper asks v₋₁ ≥ τ²) and no bias
 * correction, as in the paper. Each step is computed in double; m and v are kept in float32, so that the state
 * written after a round and read back after a restart is exactly the state an uninterrupted run goes on with.
 */
public final class FedOpt extends MeanStrategy {

    public enum Kind { ADAM, YOGI }

    /** fedadam and fedyogi: server_learning_rate (η, 0.01), beta1 (0.9), beta2 (0.99), tau (0.001). */
    public record Params(Double serverLearningRate, Double beta1, Double beta2, Double tau) {
        public Params {
            serverLearningRate = ParamRules.positive("server_learning_rate", serverLearningRate, 0.01,
                    "a positive number");
            beta1 = ParamRules.inRange("beta1", beta1, 0.9, 0, 1);
            beta2 = ParamRules.inRange("beta2", beta2, 0.99, 0, 1);
            tau = ParamRules.positive("tau", tau, 1e-3, "a positive number");
        }
    }

    public static final StrategyType<Params> FEDADAM = new StrategyType<>("fedadam", Params.class,
            p -> new FedOpt(Kind.ADAM, p.serverLearningRate(), p.beta1(), p.beta2(), p.tau()));
    public static final StrategyType<Params> FEDYOGI = new StrategyType<>("fedyogi", Params.class,
            p -> new FedOpt(Kind.YOGI, p.serverLearningRate(), p.beta1(), p.beta2(), p.tau()));

    private final Kind kind;
    private final double eta;
    private final double beta1;
    private final double beta2;
    private final double tau;
    private List<TensorSpec> specs;
    private float[][] m;
    private float[][] v;

    public FedOpt(Kind kind, double serverLearningRate, double beta1, double beta2, double tau) {
        if (!(serverLearningRate > 0) || Double.isInfinite(serverLearningRate)) {
            throw new IllegalArgumentException("server_learning_rate must be positive and finite, got "
                    + serverLearningRate);
        }
        if (!(beta1 >= 0 && beta1 < 1)) {
            throw new IllegalArgumentException("beta1 must be in [0, 1), got " + beta1);
        }
        if (!(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("beta2 must be in [0, 1), got " + beta2);
        }
        if (!(tau > 0) || Double.isInfinite(tau)) {
            throw new IllegalArgumentException("tau must be positive and finite, got " + tau);
        }
        this.kind = kind;
        this.eta = serverLearningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.tau = tau;
    }

    @Override
    public String name() {
        return kind == Kind.ADAM ? "fedadam" : "fedyogi";
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("server_learning_rate", eta);
        p.put("beta1", beta1);
        p.put("beta2", beta2);
        p.put("tau", tau);
        p.put("weighting", "training_bags");
        return p;
    }

    @Override
    public Set<Capability> capabilities() {
        return EnumSet.of(Capability.LINEAR, Capability.STATEFUL);
    }

    @Override
    protected TensorSet step(TensorSet global, WeightedMean mean) {
        Aggregate aggregate = mean.mean();
        if (!global.specs().equals(aggregate.specs())) {
            throw new IllegalArgumentException("global model tensors " + global.specs() + " do not match "
                    + aggregate.specs());
        }
        if (m == null) {
            initialise(aggregate.specs());
        } else if (!specs.equals(aggregate.specs())) {
            throw new IllegalStateException("the server optimiser's state is for tensors " + specs
                    + ", the round's for " + aggregate.specs());
        }
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            NamedTensor g = global.tensors().get(i);
            float[] w = g.values().clone();
            double[] d = aggregate.delta()[i];
            float[] mi = m[i];
            float[] vi = v[i];
            for (int j = 0; j < w.length; j++) {
                double delta = d[j];
                double sq = delta * delta;
                mi[j] = (float) (beta1 * mi[j] + (1 - beta1) * delta);
                if (kind == Kind.ADAM) {
                    vi[j] = (float) (beta2 * vi[j] + (1 - beta2) * sq);
                } else {
                    vi[j] = (float) (vi[j] - (1 - beta2) * sq * Math.signum(vi[j] - sq));
                }
                w[j] = (float) (w[j] + eta * mi[j] / (Math.sqrt(vi[j]) + tau));
            }
            out.add(new NamedTensor(g.name(), g.shape(), w));
        }
        return new TensorSet(out);
    }

    private void initialise(List<TensorSpec> s) {
        specs = List.copyOf(s);
        m = new float[specs.size()][];
        v = new float[specs.size()][];
        for (int i = 0; i < specs.size(); i++) {
            int n = Math.toIntExact(specs.get(i).elementCount());
            m[i] = new float[n];
            v[i] = new float[n];
            java.util.Arrays.fill(v[i], (float) (tau * tau));
        }
    }

    @Override
    public Optional<StrategyState> save() {
        if (m == null) {
            return Optional.empty();
        }
        List<NamedTensor> tensors = new ArrayList<>(2 * specs.size());
        for (int i = 0; i < specs.size(); i++) {
            tensors.add(new NamedTensor("m/" + specs.get(i).name(), specs.get(i).shape(), m[i].clone()));
        }
        for (int i = 0; i < specs.size(); i++) {
            tensors.add(new NamedTensor("v/" + specs.get(i).name(), specs.get(i).shape(), v[i].clone()));
        }
        return Optional.of(new StrategyState(name(), new TensorSet(tensors)));
    }

    @Override
    public void restore(StrategyState state) {
        if (!state.strategy().equals(name())) {
            throw new IllegalArgumentException("the saved server optimiser state is of strategy '" + state.strategy()
                    + "', this federation runs '" + name() + "'; a federation's strategy cannot change on restart");
        }
        List<NamedTensor> t = state.tensors().tensors();
        if (t.size() % 2 != 0) {
            throw new IllegalArgumentException("a " + name() + " state holds m and v for every tensor; got "
                    + t.size() + " tensors");
        }
        int n = t.size() / 2;
        List<TensorSpec> s = new ArrayList<>(n);
        float[][] mm = new float[n][];
        float[][] vv = new float[n][];
        for (int i = 0; i < n; i++) {
            NamedTensor mt = t.get(i);
            NamedTensor vt = t.get(n + i);
            if (!mt.name().startsWith("m/") || !vt.name().equals("v/" + mt.name().substring(2))) {
                throw new IllegalArgumentException("unexpected tensors in a " + name() + " state: " + mt.name()
                        + ", " + vt.name());
            }
            s.add(new TensorSpec(mt.name().substring(2), mt.shape()));
            mm[i] = mt.values().clone();
            vv[i] = vt.values().clone();
        }
        specs = List.copyOf(s);
        m = mm;
        v = vv;
    }
}
