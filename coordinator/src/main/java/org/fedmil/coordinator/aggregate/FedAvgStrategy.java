package org.fedmil.coordinator.aggregate;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * FedAvg (McMahan et al. 2017), and FedProx (Li et al. 2020), which aggregates exactly as FedAvg does and differs
 * only at the sites: each adds μ/2‖w − w_global‖² to its local objective, μ sent with the train task.
 */
public final class FedAvgStrategy implements Strategy {

    private final double mu;

    /** Plain FedAvg. */
    public FedAvgStrategy() {
        this(0);
    }

    /** @param mu FedProx's proximal weight; 0 is FedAvg */
    public FedAvgStrategy(double mu) {
        if (!(mu >= 0) || Double.isInfinite(mu)) {
            throw new IllegalArgumentException("fedprox mu must be ≥ 0 and finite, got " + mu);
        }
        this.mu = mu;
    }

    @Override
    public String name() {
        return mu == 0 ? "fedavg" : "fedprox";
    }

    @Override
    public Map<String, Object> parameters() {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("weighting", "training_bags");
        if (mu != 0) {
            p.put("mu", mu);
        }
        return p;
    }

    @Override
    public double proximalMu() {
        return mu;
    }

    @Override
    public Aggregator beginRound(List<TensorSpec> specs) {
        return new FedAvg(specs);
    }

    @Override
    public TensorSet finishRound(TensorSet global, Aggregate aggregate) {
        return aggregate.applyTo(global);
    }
}
