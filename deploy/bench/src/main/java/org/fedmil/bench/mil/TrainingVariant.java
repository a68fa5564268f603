package org.fedmil.bench.mil;

import java.util.Locale;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;

/**
 * One arm of {@code bench mil --variants}: the command's recipe with some training choices changed, written
 * {@code default} or {@code key=value[:key=value]…}, e.g. {@code optimizer=sgd:lr=0.01:momentum=0.9:nesterov=true},
 * {@code schedule=cosine:warmup=1}, {@code schedule=reduce_on_plateau:factor=0.5:patience=1}, {@code batch=4},
 * {@code smoothing=0.1}, {@code loss=gce:q=0.7}. The text itself names the arm in the results.
 *
 * <p>Keys: optimizer, momentum, nesterov, lr, wd, schedule, warmup, min_lr, factor, patience, threshold, batch,
 * loss, q, smoothing.
 */
public record TrainingVariant(String spec) {

    public static final String DEFAULT = "default";

    public TrainingVariant {
        spec = spec.trim();
    }

    /** The recipe of this arm; throws naming the key or value that is wrong. */
    public Recipe apply(Recipe base) {
        if (spec.equals(DEFAULT)) {
            return base;
        }
        double lr = base.learningRate();
        double wd = base.weightDecay();
        OptimizerConfig.Kind optimizer = base.optimizer().kind();
        double momentum = base.optimizer().momentum();
        boolean nesterov = base.optimizer().nesterov();
        LearningRateSchedule s = base.schedule();
        LearningRateSchedule.Kind scheduleKind = s.kind();
        double warmup = s.warmupRounds();
        double minLr = s.minLearningRate();
        double factor = s.factor();
        int patience = s.patience();
        double threshold = s.threshold();
        int batch = base.bagsPerStep();
        LossConfig loss = base.loss();
        LossConfig.Kind lossKind = loss.kind();
        double q = loss.gceQ();
        double smoothing = loss.labelSmoothing();
        for (String part : spec.split(":")) {
            String[] kv = part.split("=", 2);
            if (kv.length != 2) {
                throw new IllegalArgumentException("variant '" + spec + "': '" + part + "' is not key=value "
                        + "(or use 'default')");
            }
            String v = kv[1].trim();
            try {
                switch (kv[0].trim().toLowerCase(Locale.ROOT)) {
                    case "optimizer" -> optimizer = OptimizerConfig.Kind.fromConfigName(v);
                    case "momentum" -> momentum = Double.parseDouble(v);
                    case "nesterov" -> nesterov = Boolean.parseBoolean(v);
                    case "lr" -> lr = Double.parseDouble(v);
                    case "wd" -> wd = Double.parseDouble(v);
                    case "schedule" -> scheduleKind = LearningRateSchedule.Kind.fromConfigName(v);
                    case "warmup" -> warmup = Double.parseDouble(v);
                    case "min_lr" -> minLr = Double.parseDouble(v);
                    case "factor" -> factor = Double.parseDouble(v);
                    case "patience" -> patience = Integer.parseInt(v);
                    case "threshold" -> threshold = Double.parseDouble(v);
                    case "batch" -> batch = Integer.parseInt(v);
                    case "loss" -> lossKind = LossConfig.Kind.fromConfigName(v);
                    case "q" -> q = Double.parseDouble(v);
                    case "smoothing" -> smoothing = Double.parseDouble(v);
                    default -> throw new IllegalArgumentException("unknown key '" + kv[0] + "'; expected one of "
                            + "optimizer, momentum, nesterov, lr, wd, schedule, warmup, min_lr, factor, patience, "
                            + "threshold, batch, loss, q, smoothing");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("variant '" + spec + "': '" + part + "' needs a number", e);
            }
        }
        try {
            return new Recipe(base.rounds(), base.localEpochs(), lr, wd,
                    new LossConfig(lossKind, loss.focalGamma(), loss.classWeighting(), q, smoothing),
                    base.augmentation(), new OptimizerConfig(optimizer, momentum, nesterov),
                    new LearningRateSchedule(scheduleKind, warmup, minLr, factor, patience, threshold), batch);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("variant '" + spec + "': " + e.getMessage(), e);
        }
    }
}
