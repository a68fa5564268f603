package org.fedmil.bench.attack;

import ai.djl.Device;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedmil.config.TlsFiles;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.train.BagAugmentation;
import org.fedmil.mil.train.TrainingOptions;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.protocol.Wire;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.task.SiteTask;
import org.fedmil.site.task.TaskConverter;
import org.fedmil.site.train.SiteData;
import org.fedmil.site.train.SiteTrainer;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;

/**
 * A hostile site with a valid certificate: it speaks the published protocol over mutual TLS with the site agent's
 * own client, but none of the agent's outbound checks (policy, DP, the one pipeline) stand between its forgeries
 * and the coordinator. Benchmark code only: {@code fedmil site run} never reaches it. It trains honestly on its
 * bags as an agent would, then forges its delta and claim as its {@link Hostile} kind says.
 */
final class HostileSite implements Runnable {

    /** What colluding sites share: the forged delta of each round, made by the first of them to train. */
    static final class Collusion {
        private final Map<Integer, TensorSet> forged = new ConcurrentHashMap<>();
    }

    private final String name;
    private final String host;
    private final int port;
    private final TlsFiles tls;
    private final Path dataDir;
    private final Hostile kind;
    private final Collusion collusion;
    final AtomicInteger refused = new AtomicInteger();
    final AtomicInteger accepted = new AtomicInteger();
    private volatile Throwable failure;

    HostileSite(String name, String host, int port, TlsFiles tls, Path dataDir, Hostile kind, Collusion collusion) {
        this.name = name;
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.dataDir = dataDir;
        this.kind = kind;
        this.collusion = collusion;
    }

    @Override
    public void run() {
        SiteData data = new SiteData(dataDir);
        try (CoordinatorClient client = new CoordinatorClient(host, port, tls);
             SiteTrainer trainer = new SiteTrainer(Device.cpu(), data)) {
            client.connect(Duration.ofSeconds(120));
            LabelCounts counts = data.labelCounts();
            long negatives = counts.negatives();
            long positives = counts.positives();
            if (kind == Hostile.DECLARE_INFLATE_NEGATIVES) {
                negatives = Hostile.DECLARED_BAGS;
            } else if (kind == Hostile.DECLARE_INFLATE) {
                positives = Math.round(Hostile.DECLARED_BAGS * counts.positiveRate());
                negatives = Hostile.DECLARED_BAGS - positives;
            }
            client.join(JoinRequest.newBuilder().setSoftwareVersion("hostile-bench").setDevice("cpu()")
                    .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(negatives))
                    .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(positives)).build());
            loop(client, trainer, data);
        } catch (Throwable t) {
            failure = t;
        }
    }

    Throwable failure() {
        return failure;
    }

    String name() {
        return name;
    }

    private void loop(CoordinatorClient client, SiteTrainer trainer, SiteData data) throws InterruptedException {
        while (true) {
            Task task = client.nextTask(2_000);
            switch (task.getKindCase()) {
                case TRAIN -> attack(client, trainer, data, (SiteTask.Train) TaskConverter.fromProto(task, ""));
                case WAIT -> Thread.sleep(Math.min(1_000, Math.max(50, task.getWait().getRetryAfterMs())));
                // it reports an evaluation as any site does: its numbers are its word
                case EVALUATE -> client.reportEvaluation(EvaluationReport.newBuilder()
                        .setModelVersion(task.getEvaluate().getModelVersion()).setBags(data.labelCounts().negatives()
                                + data.labelCounts().positives()).setAuc(0.5).setAccuracy(0.5).setSensitivity(0.5)
                        .setSpecificity(0.5).setLoss(0.69).build());
                case STOP -> {
                    return;
                }
                default -> throw new IllegalStateException(name + " cannot do task " + task.getKindCase());
            }
        }
    }

    private void attack(CoordinatorClient client, SiteTrainer trainer, SiteData data, SiteTask.Train task) {
        SiteTask.GlobalModel model = task.model();
        CoordinatorClient.DownloadedModel global = client.downloadModel(model.version(), model.sha256());
        TensorSet forged = collusion == null ? forge(honest(trainer, data, task, global))
                : collusion.forged.computeIfAbsent(task.round(), r -> forge(honest(trainer, data, task, global)));
        long trueBags = data.bagsFor(model.spec()).size();
        long claim = kind.claimsInflated() ? Hostile.INFLATED_BAGS : trueBags;
        double scale = 1;
        for (int attempt = 0; attempt < 20; attempt++) {
            try {
                client.upload(task.round(), model.version(), model.sha256(), scaled(forged, scale), claim, 0.5);
                accepted.incrementAndGet();
                return;
            } catch (StatusRuntimeException e) {
                refused.incrementAndGet();
                String why = String.valueOf(e.getStatus().getDescription());
                if (e.getStatus().getCode() != Status.Code.INVALID_ARGUMENT) {
                    return; // the round moved on
                }
                if (why.contains("declared") && claim != trueBags) {
                    claim = Math.min(claim, declared(data));
                } else if (why.contains("max_norm_to_median") || why.contains("max_update_l2_norm")) {
                    scale /= 2;
                } else {
                    return;
                }
            }
        }
    }

    private long declared(SiteData data) {
        if (kind == Hostile.DECLARE_INFLATE_NEGATIVES) {
            return Hostile.DECLARED_BAGS + data.labelCounts().positives();
        }
        return kind.declaresInflated ? Hostile.DECLARED_BAGS : data.labelCounts().negatives()
                + data.labelCounts().positives();
    }

    /** The delta this site's bags give from the round's model, trained as the site agent trains. */
    private static TensorSet honest(SiteTrainer trainer, SiteData data, SiteTask.Train task,
                                    CoordinatorClient.DownloadedModel global) {
        TrainingConfig c = task.config();
        TrainingOptions options = new TrainingOptions(c.getLocalEpochs(), c.getLearningRate(), c.getWeightDecay(),
                c.getSeed() * 1_000_003L + task.round(),
                Wire.lossOf(c).forSite(data.trainingLabelCounts(), Wire.federationLabelsOf(c)), BagAugmentation.NONE,
                c.getProximalMu(), Wire.optimizerOf(c), Math.max(1, c.getBagsPerStep()), Wire.stepRatesOf(c));
        return trainer.train(task.model().spec(), global.weights(), options).delta();
    }

    private TensorSet forge(TensorSet honest) {
        return scaled(honest, kind.factor);
    }

    private static TensorSet scaled(TensorSet delta, double factor) {
        if (factor == 1) {
            return delta;
        }
        List<NamedTensor> out = new ArrayList<>();
        for (NamedTensor t : delta.tensors()) {
            float[] v = t.values();
            float[] s = new float[v.length];
            for (int j = 0; j < v.length; j++) {
                s[j] = (float) (factor * v[j]);
            }
            out.add(new NamedTensor(t.name(), t.shape(), s));
        }
        return new TensorSet(out);
    }
}
