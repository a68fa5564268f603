package org.fedmil.bench.peers;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.DpSgd;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.mil.train.TrainingProgress;
import org.fedmil.mil.train.TrainingResult;
import org.fedmil.site.train.SiteData;
import org.fedmil.site.train.SiteTrainer;
import org.fedmil.site.train.StartingWeights;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * A benchmark's stand-in for local training: every round it returns the same small delta for every parameter,
 * as the Flower clients of {@code bench peers} return their parameters plus a fixed value. No engine is started,
 * so what a round costs is the federation's own work: download, outbound filters, signing, upload, checks,
 * aggregation, the signed log and the saved model. Only {@link FixedDeltaSiteMain} uses it; {@code fedmil site run}
 * cannot reach it.
 */
final class FixedDeltaTrainer extends SiteTrainer {

    static final float DELTA = 1e-4f;

    private final SiteData data;

    FixedDeltaTrainer(SiteData data) {
        super(Device.cpu(), data);
        this.data = data;
    }

    /**
     * The most general of SiteTrainer's train methods, which every other one and the site's train task call: a
     * narrower override would leave the task's call to the engine.
     */
    @Override
    public LocalUpdate train(ModelSpec spec, StartingWeights start, TrainingOptions options,
                             TrainingProgress progress, double pseudoLabelThreshold, Optional<DpSgd> dpSgd) {
        long t0 = System.nanoTime();
        List<NamedTensor> delta = new ArrayList<>(start.specs().size());
        for (TensorSpec t : start.specs()) {
            float[] v = new float[Math.toIntExact(t.elementCount())];
            Arrays.fill(v, DELTA);
            delta.add(new NamedTensor(t.name(), t.shape(), v));
        }
        int bags = data.bagsFor(spec).size();
        return new LocalUpdate(new TensorSet(delta), bags, 0.5, new TrainingResult(0.5, bags, 0,
                java.time.Duration.ofNanos(System.nanoTime() - t0)), 0);
    }

    /** The final evaluation: every bag scored 0.5, so the metrics are well-formed and cost nothing. */
    @Override
    public BinaryMetrics evaluate(ModelSpec spec, TensorSet global) {
        List<Bag> bags = data.allBagsFor(spec);
        int[] labels = bags.stream().mapToInt(Bag::label).toArray();
        float[] p = new float[labels.length];
        Arrays.fill(p, 0.5f);
        return BinaryMetrics.of(labels, p);
    }

    @Override
    public Optional<ValidationMetrics> validate(ModelSpec spec, TensorSet global) {
        return Optional.empty();
    }
}
