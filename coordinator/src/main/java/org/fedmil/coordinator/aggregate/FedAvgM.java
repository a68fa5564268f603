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
 * FedAvgM, FedAvg with server momentum (Hsu, Qi and Brown 2019, "Measuring the effects of non-identical data
 * distribution for federated visual classification"): with Δ̄ the round's bag-weighted mean delta,
 *
 * <pre>
 *   v ← β v + Δ̄
 *   w ← w + η v
 * </pre>
 *
 * coordinate-wise, v = 0 before the first round. Each step is computed in double and w rounded once; v is kept in
 * float32, so that the state written after a round and read back after a restart is exactly the state an
 * uninterrupted run goes on with. With β = 0 and η = 1 it is FedAvg, bit for bit.
 */
public final class FedAvgM extends MeanStrategy {

    /** server_learning_rate (η, 1.0), momentum (β, 0.9). */
    public record Params(Double serverLearningRate, Double momentum) {
        public Params {
            serverLearningRate = ParamRules.positive("server_learning_rate", serverLearningRate, 1.0,
                    "a positive number");
            momentum = ParamRules.inRange("momentum", momentum, 0.9, 0, 1);
        }
    }

    public static final StrategyType<Params> FEDAVGM = new StrategyType<>("fedavgm", Params.class,
            p -> new FedAvgM(p.serverLearningRate(), p.momentum()));

    private final double eta;
    private final double beta;
    private List<TensorSpec> specs;
    private float[][] velocity;

    public FedAvgM(double serverLearningRate, double momentum) {
        this.eta = ParamRules.positive("server_learning_rate", serverLearningRate, 1.0, "a positive number");
        this.beta = ParamRules.inRange("momentum", momentum, 0.9, 0, 1);
    }

    @Override
    public String name() {
        return "fedavgm";
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("server_learning_rate", eta);
        p.put("momentum", beta);
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
        if (velocity == null) {
            specs = aggregate.specs();
            velocity = new float[specs.size()][];
            for (int i = 0; i < specs.size(); i++) {
                velocity[i] = new float[Math.toIntExact(specs.get(i).elementCount())];
            }
        } else if (!specs.equals(aggregate.specs())) {
            throw new IllegalStateException("the server momentum is for tensors " + specs + ", the round's for "
                    + aggregate.specs());
        }
        List<NamedTensor> out = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            NamedTensor g = global.tensors().get(i);
            float[] w = g.values().clone();
            double[] d = aggregate.delta()[i];
            float[] v = velocity[i];
            for (int j = 0; j < w.length; j++) {
                double vj = beta * v[j] + d[j];
                v[j] = (float) vj;
                w[j] = (float) (w[j] + eta * vj);
            }
            out.add(new NamedTensor(g.name(), g.shape(), w));
        }
        return new TensorSet(out);
    }

    @Override
    public Optional<StrategyState> save() {
        if (velocity == null) {
            return Optional.empty();
        }
        List<NamedTensor> tensors = new ArrayList<>(specs.size());
        for (int i = 0; i < specs.size(); i++) {
            tensors.add(new NamedTensor("v/" + specs.get(i).name(), specs.get(i).shape(), velocity[i].clone()));
        }
        return Optional.of(new StrategyState(name(), new TensorSet(tensors)));
    }

    @Override
    public void restore(StrategyState state) {
        if (!state.strategy().equals(name())) {
            throw new IllegalArgumentException("the saved server state is of strategy '" + state.strategy()
                    + "', this federation runs '" + name() + "'; a federation's strategy cannot change on restart");
        }
        List<TensorSpec> s = new ArrayList<>();
        List<NamedTensor> t = state.tensors().tensors();
        float[][] v = new float[t.size()][];
        for (int i = 0; i < t.size(); i++) {
            NamedTensor vt = t.get(i);
            if (!vt.name().startsWith("v/")) {
                throw new IllegalArgumentException("unexpected tensor in a fedavgm state: " + vt.name()
                        + " (expected v/<tensor>)");
            }
            s.add(new TensorSpec(vt.name().substring(2), vt.shape()));
            v[i] = vt.values().clone();
        }
        specs = List.copyOf(s);
        velocity = v;
    }
}
