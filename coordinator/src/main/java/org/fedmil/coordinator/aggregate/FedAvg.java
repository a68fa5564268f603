package org.fedmil.coordinator.aggregate;

import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.tensor.TensorSet;

/**
 * FedAvg (McMahan et al. 2017): w ← w + Σ nₖΔₖ / Σ nₖ, weighted by training bags (numerics: {@link WeightedMean}).
 * And FedProx (Li et al. 2020), which aggregates exactly as FedAvg does and differs only at the sites: each adds
 * μ/2‖w − w_global‖² to its local objective, μ sent with the train task.
 */
public final class FedAvg extends MeanStrategy {

    /** fedavg: no keys. */
    public record Params() {
    }

    /** fedprox: {@code mu}, default 0.01. */
    public record ProxParams(Double mu) {
        public ProxParams {
            mu = ParamRules.positive("mu", mu, 0.01, "a positive number (fedavg is fedprox with mu 0)");
        }
    }

    public static final StrategyType<Params> FEDAVG = new StrategyType<>("fedavg", Params.class, p -> new FedAvg());
    public static final StrategyType<ProxParams> FEDPROX = new StrategyType<>("fedprox", ProxParams.class,
            p -> new FedAvg(p.mu()));

    private final double mu;

    /** Plain FedAvg. */
    public FedAvg() {
        this(0);
    }

    /** @param mu FedProx's proximal weight; 0 is FedAvg */
    public FedAvg(double mu) {
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
    public TrainInstructions configure() {
        return new TrainInstructions(mu);
    }

    /**
     * The mean added in double and rounded once, straight from the float32 sum, into the sum's own arrays: no
     * double copy of the mean and no third copy of the model (the mean is dropped after the step).
     */
    @Override
    protected TensorSet step(TensorSet global, WeightedMean mean) {
        return mean.takeAppliedTo(global);
    }
}
