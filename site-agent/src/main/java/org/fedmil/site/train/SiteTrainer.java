package org.fedmil.site.train;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Optional;
import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.mil.encoder.TorchScriptEncoder;
import org.fedmil.mil.encoder.TrainableTorchScript;
import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.data.ContrastiveViews;
import org.fedmil.mil.model.EncoderPart;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.ContrastiveTrainer;
import org.fedmil.mil.train.DpSgd;
import org.fedmil.mil.train.DpSgdTrainer;
import org.fedmil.mil.train.GradientNoise;
import org.fedmil.mil.train.LocalTrainer;
import org.fedmil.mil.train.PretrainingOptions;
import org.fedmil.mil.train.PretrainingResult;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.mil.train.TrainingProgress;
import org.fedmil.mil.train.TrainingResult;
import org.fedmil.mil.pseudo.PseudoLabeller;
import org.fedmil.mil.pseudo.PseudoLabels;
import org.fedmil.tensor.TensorSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One site's local learning: start from the global weights, train on the local bags, and hand back only the
 * delta. The DJL model is kept between rounds and rebuilt only if the federation's architecture changes.
 *
 * <p>Not final so that a benchmark can put a stand-in in its place through
 * {@link org.fedmil.site.agent.SiteAgent#SiteAgent(org.fedmil.site.config.SiteConfig, java.io.PrintStream,
 * java.util.function.Function)}; {@code fedmil site run} always trains with this class.
 */
public class SiteTrainer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SiteTrainer.class);

    private final Device device;
    private final SiteData data;
    /** The site's copy of the pretrained encoder (encoder_file); null when it has none. */
    private final Path encoderFile;
    private MilModel model;
    private ModelSpec spec;
    /** The encoder block the federation fine-tunes with the head; null when the model is its spec alone. */
    private FineTunedBlock block;
    private FineTunedBlock modelBlock;

    public SiteTrainer(Device device, SiteData data) {
        this(device, data, null);
    }

    /** @param encoderFile the site's encoder file, for a federation that fine-tunes its last block; may be null */
    public SiteTrainer(Device device, SiteData data, Path encoderFile) {
        this.device = device;
        this.data = data;
        this.encoderFile = encoderFile;
    }

    /** The SHA-256 of the site's encoder file, which a join declares; empty without one. */
    public Optional<String> encoderSha256() {
        return Optional.ofNullable(encoderFile).map(TorchScriptEncoder::sha256);
    }

    /**
     * Trains {@code wanted}'s encoder block with the head from here on (empty: the model alone). The first time a
     * block is named (at join) the site's encoder is loaded to check that it is the federation's file, that it is
     * TorchScript and that it has the block, so that a site that cannot train it stops before any round.
     *
     * @throws IllegalStateException naming encoder_file or data_dir when the site has no encoder or no tiles
     * @throws org.fedmil.mil.encoder.EncoderException naming the file when it is another encoder, not TorchScript,
     *                                                 or lacks the block
     */
    public synchronized void useEncoderBlock(Optional<FineTunedBlock> wanted) {
        FineTunedBlock b = wanted.orElse(null);
        if (java.util.Objects.equals(b, block)) {
            return;
        }
        if (b != null) {
            if (encoderFile == null) {
                throw new IllegalStateException("the federation fine-tunes " + b.describe() + ", but site.yaml sets "
                        + "no encoder_file; set encoder_file to the consortium's encoder (the file with that SHA-256)");
            }
            if (!data.isTiles()) {
                throw new IllegalStateException("the federation fine-tunes " + b.describe() + " on tiles, but "
                        + data.dir() + " holds feature bags; point data_dir at the site's tile folder");
            }
            try (TrainableTorchScript probe = b.load(encoderFile, device)) {
                log.info("fine-tuning {} of {} with the head: {} parameter tensors train, {} stay frozen. The "
                        + "encoder changes every round, so no feature cache can serve it: every epoch runs the "
                        + "whole encoder over every tile", b.trainablePrefix(), encoderFile, probe.trainable().size(),
                        probe.frozenCount());
            }
        }
        block = b;
    }

    /**
     * The outcome of one local round: what is sent (delta, labelled bag count, loss), the local training's
     * details, and {@code pseudoLabelled}, how many unlabeled bags joined training this round, which is for the
     * site's own console and never sent.
     */
    public record LocalUpdate(TensorSet delta, long trainingBags, double trainLoss, TrainingResult training,
                              int pseudoLabelled) {
    }

    public LocalUpdate train(ModelSpec spec, TensorSet global, TrainingOptions options) {
        return train(spec, global, options, TrainingProgress.NONE);
    }

    /** As {@link #train(ModelSpec, TensorSet, TrainingOptions)}, showing the training's progress on {@code progress}. */
    public LocalUpdate train(ModelSpec spec, TensorSet global, TrainingOptions options, TrainingProgress progress) {
        return train(spec, global, options, progress, 0);
    }

    /**
     * As above, and with {@code pseudoLabelThreshold} &gt; 0 the site's unlabeled bags that {@code global} scores
     * with at least that confidence join this round's training under the label the model gives them (see
     * {@link PseudoLabeller}). They are chosen afresh every round from the model of the round.
     *
     * <p>The update's {@code trainingBags}, which the coordinator weighs the site by, counts the labelled bags
     * only: a pseudo-label is the federation's own model talking, not new ground truth, so it must not buy a
     * site more weight; and the count then says nothing about how many unlabeled bags the site holds or how
     * many the model was sure of. How many joined is logged here, at the site, and sent nowhere.
     */
    public LocalUpdate train(ModelSpec spec, TensorSet global, TrainingOptions options, TrainingProgress progress,
                             double pseudoLabelThreshold) {
        return train(spec, global, options, progress, pseudoLabelThreshold, java.util.Optional.empty());
    }

    /**
     * As above, with {@code dpSgd} present under patient-level DP-SGD ({@link DpSgdTrainer}, noise from a DRBG):
     * each bag (labelled or pseudo-labelled) is one example whose gradient is clipped, so each is protected.
     */
    public LocalUpdate train(ModelSpec spec, TensorSet global, TrainingOptions options, TrainingProgress progress,
                             double pseudoLabelThreshold, java.util.Optional<DpSgd> dpSgd) {
        return train(spec, StartingWeights.inMemory(global), options, progress, pseudoLabelThreshold, dpSgd);
    }

    /**
     * As above, from {@code start}: weights backed by the state folder's model file are let go once loaded into the
     * engine, and the delta is formed against the file ({@link StartingWeights}), so that the site holds the engine's
     * weights, gradients and Adam moments while it trains and no copy of the global model beside them.
     */
    public LocalUpdate train(ModelSpec spec, StartingWeights start, TrainingOptions options,
                             TrainingProgress progress, double pseudoLabelThreshold,
                             java.util.Optional<DpSgd> dpSgd) {
        MilModel m = modelFor(spec);
        start.loadInto(m);
        if (start.onDisk()) {
            // the serial collector returns an emptied heap to the system only at a full collection, and nothing
            // would run one before training allocates the engine's gradients and moments: without this the global
            // model just let go would stay resident beside them, the very copy letting go of it was to save
            System.gc();
        }
        List<Bag> labelled = data.bagsFor(dataSpec(spec));
        List<Bag> bags = labelled;
        int pseudoLabelled = 0;
        if (pseudoLabelThreshold > 0 && data.unlabeledCount() > 0) {
            PseudoLabels pseudo = new PseudoLabeller(pseudoLabelThreshold).select(m, data.unlabeledFor(dataSpec(spec)));
            log.info("pseudo-labels: {} of {} unlabeled bags scored with confidence >= {} ({} positive) join this "
                    + "round's training; they stay at this site", pseudo.size(), pseudo.considered(),
                    pseudoLabelThreshold, pseudo.positives());
            bags = pseudo.appendedTo(labelled);
            pseudoLabelled = pseudo.size();
        }
        TrainingResult result = dpSgd.isPresent()
                ? new DpSgdTrainer().train(m, bags, options, dpSgd.get(), GradientNoise.secure()).training()
                // no rollback copy: every use of the model here sets its weights first
                : new LocalTrainer().trainWithoutRollback(m, bags, options, progress);
        TensorSet delta = start.deltaOf(m);
        return new LocalUpdate(delta, labelled.size(), result.meanLoss(), result, pseudoLabelled);
    }

    /**
     * This site's DP-FedSGD share of a round ({@link org.fedmil.mil.train.DpFedSgdStep}) at {@code global}: its
     * labelled bags Poisson-sampled at q, each sampled bag's gradient clipped to C on the federation's integer grid,
     * summed, and its discrete Gaussian noise share added (also for an empty lot), lots and noise from a DRBG.
     * Nothing is trained: the model's weights stay {@code global}.
     */
    public org.fedmil.mil.train.DpFedSgdStep.Share dpFedSgdShare(ModelSpec spec, TensorSet global,
                                                                TrainingOptions options,
                                                                org.fedmil.mil.train.DpFedSgd dp) {
        return dpFedSgdShare(spec, global, options, dp, GradientNoise.secure());
    }

    /** As above with {@code noise} for the lot, the rounding and the noise share (a seeded one in tests only). */
    public org.fedmil.mil.train.DpFedSgdStep.Share dpFedSgdShare(ModelSpec spec, TensorSet global,
                                                                TrainingOptions options,
                                                                org.fedmil.mil.train.DpFedSgd dp,
                                                                GradientNoise noise) {
        MilModel m = modelFor(spec);
        m.setWeights(global);
        return new org.fedmil.mil.train.DpFedSgdStep().compute(m, data.bagsFor(dataSpec(spec)), options, dp, noise);
    }

    /**
     * A pretraining round's outcome: the encoder's delta alone (the tensors named {@code encoder.…}, nothing of
     * pooling, classifier or projection head), the bags whose tiles were used, and the mean NT-Xent loss.
     */
    public record EncoderUpdate(TensorSet delta, long bags, double loss, PretrainingResult pretraining) {
    }

    /**
     * Pretrains the global model's encoder on the tiles of every local bag (labels are not read) and returns the
     * encoder's delta. The projection head lives only inside this call.
     */
    public EncoderUpdate pretrain(ModelSpec spec, TensorSet global, PretrainingOptions options) {
        MilModel m = modelFor(spec);
        m.setWeights(global);
        List<Bag> bags = data.bagsFor(spec);
        ContrastiveViews views = new ContrastiveViews(spec.tileFormat().orElseThrow(() -> new IllegalArgumentException(
                "pretraining needs a model over image tiles, got " + spec)), options.colourJitter(), options.maxShift());
        PretrainingResult result = new ContrastiveTrainer().train(m, bags, views, options);
        TensorSet delta = EncoderPart.of(m.weights()).minus(EncoderPart.of(global));
        return new EncoderUpdate(delta, bags.size(), result.meanLoss(), result);
    }

    /** {@code global} on every labelled bag of the site (training and validation bags alike). */
    public BinaryMetrics evaluate(ModelSpec spec, TensorSet global) {
        MilModel m = modelFor(spec);
        m.setWeights(global);
        return m.evaluate(data.allBagsFor(dataSpec(spec)));
    }

    /**
     * {@code global} on the site's validation bags, before any training on it; empty when the site keeps none.
     * Aggregates only: the bags' scores stay in this call.
     */
    public java.util.Optional<org.fedmil.mil.eval.ValidationMetrics> validate(ModelSpec spec, TensorSet global) {
        List<Bag> validation = data.validationFor(dataSpec(spec));
        if (validation.isEmpty()) {
            return java.util.Optional.empty();
        }
        MilModel m = modelFor(spec);
        m.setWeights(global);
        return java.util.Optional.of(org.fedmil.mil.eval.ValidationMetrics.of(m, validation));
    }

    /** The spec the site's bags are read with: tiles at the block's format when an encoder block trains. */
    private synchronized ModelSpec dataSpec(ModelSpec head) {
        return block == null ? head : block.readingSpec(head);
    }

    private synchronized MilModel modelFor(ModelSpec wanted) {
        if (model == null || !wanted.equals(spec) || !java.util.Objects.equals(block, modelBlock)) {
            if (model != null) {
                model.close();
                model = null;
            }
            model = block == null ? MilModel.create(wanted, device, 0L) : block.model(wanted, encoderFile, device, 0L);
            spec = wanted;
            modelBlock = block;
        }
        return model;
    }

    public Device device() {
        return device;
    }

    @Override
    public void close() {
        if (model != null) {
            model.close();
        }
    }
}
