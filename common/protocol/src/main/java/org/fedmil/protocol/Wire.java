package org.fedmil.protocol;

import com.google.protobuf.ByteString;
import java.util.ArrayList;
import java.util.List;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.Encoder;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import org.fedmil.mil.train.StepRates;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.TensorSpec;

/** Conversions between the protocol's messages and FedMIL's own value types. */
public final class Wire {

    /** Largest data chunk on any stream: keeps messages far below gRPC's 4 MiB default limit. */
    public static final int MAX_CHUNK_BYTES = 1 << 20;

    private Wire() {
    }

    public static org.fedmil.proto.v1.TensorSpec toProto(TensorSpec spec) {
        org.fedmil.proto.v1.TensorSpec.Builder b = org.fedmil.proto.v1.TensorSpec.newBuilder().setName(spec.name());
        for (long d : spec.shape()) {
            b.addShape(d);
        }
        return b.build();
    }

    public static List<org.fedmil.proto.v1.TensorSpec> toProto(List<TensorSpec> specs) {
        List<org.fedmil.proto.v1.TensorSpec> out = new ArrayList<>(specs.size());
        for (TensorSpec s : specs) {
            out.add(toProto(s));
        }
        return out;
    }

    public static List<TensorSpec> fromProto(List<org.fedmil.proto.v1.TensorSpec> specs) {
        List<TensorSpec> out = new ArrayList<>(specs.size());
        for (org.fedmil.proto.v1.TensorSpec s : specs) {
            long[] shape = new long[s.getShapeCount()];
            for (int i = 0; i < shape.length; i++) {
                shape[i] = s.getShape(i);
            }
            out.add(new TensorSpec(s.getName(), shape));
        }
        return out;
    }

    public static org.fedmil.proto.v1.ModelSpec toProto(ModelSpec spec) {
        return org.fedmil.proto.v1.ModelSpec.newBuilder()
                .setArchitecture(spec.architecture().configName())
                .setInputDim(spec.inputDim())
                .setHiddenDim(spec.hiddenDim())
                .setAttentionDim(spec.attentionDim())
                .setEncoder(spec.encoder().configName())
                .setChannels(spec.channels())
                .setTileSize(spec.tileSize())
                .build();
    }

    public static ModelSpec fromProto(org.fedmil.proto.v1.ModelSpec spec) {
        return new ModelSpec(Architecture.fromConfigName(spec.getArchitecture()),
                Encoder.fromConfigName(spec.getEncoder()), spec.getInputDim(), spec.getHiddenDim(),
                spec.getAttentionDim(), spec.getChannels(), spec.getTileSize());
    }

    public static org.fedmil.proto.v1.TrainingConfig toProto(LossConfig loss,
                                                              org.fedmil.proto.v1.TrainingConfig.Builder b) {
        return b.setLoss(loss.kind().configName())
                .setFocalGamma(loss.focalGamma())
                .setClassWeights(loss.classWeighting().configName())
                .setGceQ(loss.gceQ())
                .setLabelSmoothing(loss.labelSmoothing())
                .build();
    }

    /**
     * The loss a train task asks for; empty fields (an older coordinator) mean cross-entropy, balanced, no
     * smoothing, and GCE's q at its default.
     */
    public static LossConfig lossOf(org.fedmil.proto.v1.TrainingConfig config) {
        return new LossConfig(LossConfig.Kind.fromConfigName(config.getLoss()), config.getFocalGamma(),
                LossConfig.ClassWeighting.fromConfigName(config.getClassWeights()),
                config.getGceQ() == 0 ? LossConfig.DEFAULT_GCE_Q : config.getGceQ(), config.getLabelSmoothing());
    }

    /**
     * The federation's label counts a train task carries for class weighting by the whole federation; zero counts
     * (an older coordinator, or none known) when absent, which {@link LossConfig#forSite(LabelCounts, LabelCounts)}
     * reads as "use the site's own".
     */
    public static LabelCounts federationLabelsOf(org.fedmil.proto.v1.TrainingConfig config) {
        return new LabelCounts(Math.max(0, config.getFederationNegativeBags()),
                Math.max(0, config.getFederationPositiveBags()));
    }

    public static org.fedmil.proto.v1.TrainingConfig.Builder toProto(OptimizerConfig optimizer,
                                                                      org.fedmil.proto.v1.TrainingConfig.Builder b) {
        return b.setOptimizer(optimizer.kind().configName()).setMomentum(optimizer.momentum())
                .setNesterov(optimizer.nesterov());
    }

    /** The optimiser a train task asks for; empty (an older coordinator) means Adam. */
    public static OptimizerConfig optimizerOf(org.fedmil.proto.v1.TrainingConfig config) {
        return new OptimizerConfig(OptimizerConfig.Kind.fromConfigName(config.getOptimizer()), config.getMomentum(),
                config.getNesterov());
    }

    /**
     * The schedule of a task's round as the site applies it: {@code schedule} for {@code round} of
     * {@code rounds}, the base rate {@code baseRate}, and in learning_rate the rate of this round (reduce-on-plateau:
     * the coordinator's decision; otherwise the base rate).
     */
    public static org.fedmil.proto.v1.LearningRateSchedule toProto(LearningRateSchedule schedule, int round,
                                                                    int rounds, double baseRate) {
        return org.fedmil.proto.v1.LearningRateSchedule.newBuilder().setKind(schedule.kind().configName())
                .setWarmupRounds(schedule.warmupRounds()).setMinLearningRate(schedule.minLearningRate())
                .setRound(round).setTotalRounds(rounds).setBaseLearningRate(baseRate).build();
    }

    /** The learning rate of every step of a task's local training: learning_rate throughout unless a cosine. */
    public static StepRates stepRatesOf(org.fedmil.proto.v1.TrainingConfig config) {
        if (!config.hasSchedule()) {
            return StepRates.constant(config.getLearningRate());
        }
        org.fedmil.proto.v1.LearningRateSchedule s = config.getSchedule();
        LearningRateSchedule.Kind kind = LearningRateSchedule.Kind.fromConfigName(s.getKind());
        if (kind != LearningRateSchedule.Kind.COSINE) {
            return StepRates.constant(config.getLearningRate());
        }
        LearningRateSchedule cosine = LearningRateSchedule.cosine(s.getWarmupRounds(), s.getMinLearningRate());
        cosine.problemFor(s.getTotalRounds(), config.getLearningRate()).ifPresent(p -> {
            throw new IllegalArgumentException("the task's learning-rate schedule is malformed: " + p);
        });
        return cosine.forRound(config.getLearningRate(), s.getRound(), s.getTotalRounds());
    }

    /** Splits bytes into chunks of at most {@link #MAX_CHUNK_BYTES}, without copying more than once. */
    /**
     * Chunks that share {@code bytes} instead of copying them: for bytes that are never changed afterwards (a
     * global model, an encoded delta), so that sending a 128 MiB model does not first copy 128 MiB.
     */
    public static List<ByteString> sharedChunks(byte[] bytes) {
        List<ByteString> out = new ArrayList<>(bytes.length / MAX_CHUNK_BYTES + 1);
        for (int off = 0; off < bytes.length; off += MAX_CHUNK_BYTES) {
            out.add(com.google.protobuf.UnsafeByteOperations.unsafeWrap(bytes, off,
                    Math.min(MAX_CHUNK_BYTES, bytes.length - off)));
        }
        return out;
    }

    public static List<ByteString> chunks(byte[] bytes) {
        List<ByteString> out = new ArrayList<>(bytes.length / MAX_CHUNK_BYTES + 1);
        for (int off = 0; off < bytes.length; off += MAX_CHUNK_BYTES) {
            out.add(ByteString.copyFrom(bytes, off, Math.min(MAX_CHUNK_BYTES, bytes.length - off)));
        }
        return out;
    }

    /**
     * The statement a site signs for an upload, built from its header and from the federation and site as the
     * reader knows them: the site when it signs, the coordinator (from the TLS identity) when it checks.
     */
    public static org.fedmil.audit.UpdateStatement updateStatement(org.fedmil.proto.v1.UpdateHeader h,
                                                                    String federationId, String site) {
        java.util.Optional<org.fedmil.audit.PrivacyClaim> privacy = h.hasPrivacy()
                ? java.util.Optional.of(new org.fedmil.audit.PrivacyClaim(h.getPrivacy().getClipNorm(),
                h.getPrivacy().getNoiseMultiplier(), h.getPrivacy().getSamplingRate(), h.getPrivacy().getDelta(),
                h.getPrivacy().getEpsilonSpent()))
                : java.util.Optional.empty();
        return new org.fedmil.audit.UpdateStatement(federationId, site, h.getRound(), h.getBaseModelVersion(),
                org.fedmil.util.Sha256.hex(h.getBaseModelSha256().toByteArray()),
                org.fedmil.util.Sha256.hex(h.getDeltaSha256().toByteArray()), h.getNumTrainingBags(),
                h.getTotalBytes(), privacy, encodingOf(h.getEncoding()),
                h.hasSecureAggregation() ? java.util.OptionalInt.of(h.getSecureAggregation().getFractionalBits())
                        : java.util.OptionalInt.empty());
    }

    public static org.fedmil.proto.v1.DeltaEncoding toProto(org.fedmil.tensor.DeltaEncoding e) {
        return switch (e) {
            case FLOAT32 -> org.fedmil.proto.v1.DeltaEncoding.DELTA_FLOAT32;
            case FLOAT16 -> org.fedmil.proto.v1.DeltaEncoding.DELTA_FLOAT16;
            case INT8 -> org.fedmil.proto.v1.DeltaEncoding.DELTA_INT8;
        };
    }

    /** The encoding a message names; an unknown one (from a newer peer) is refused, never guessed. */
    public static org.fedmil.tensor.DeltaEncoding encodingOf(org.fedmil.proto.v1.DeltaEncoding e) {
        return switch (e) {
            case DELTA_FLOAT32 -> org.fedmil.tensor.DeltaEncoding.FLOAT32;
            case DELTA_FLOAT16 -> org.fedmil.tensor.DeltaEncoding.FLOAT16;
            case DELTA_INT8 -> org.fedmil.tensor.DeltaEncoding.INT8;
            case UNRECOGNIZED -> throw new IllegalArgumentException("unknown delta encoding; this peer reads "
                    + "float32, float16 and int8");
        };
    }
}
