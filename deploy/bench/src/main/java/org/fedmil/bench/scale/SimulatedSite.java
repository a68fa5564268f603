package org.fedmil.bench.scale;

import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.fedmil.config.TlsFiles;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.proto.v1.Task;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;

/**
 * A site that speaks the real protocol over real mutual TLS with its own certificate (join, long-poll NextTask,
 * download, signed upload, evaluation report) but does not train: its delta is small and deterministic. The scale
 * benchmark measures the coordinator and the protocol under many connections, not DJL, so a site costs the
 * client JVM a thread and a channel instead of a PyTorch model.
 */
public final class SimulatedSite implements Runnable {

    private final String name;
    private final int index;
    private final String host;
    private final int port;
    private final TlsFiles tls;
    private final int pollWaitMs;
    private final CountDownLatch joined;
    private volatile Throwable failure;
    private volatile int uploads;

    public SimulatedSite(String name, int index, String host, int port, TlsFiles tls, int pollWaitMs,
                         CountDownLatch joined) {
        this.name = name;
        this.index = index;
        this.host = host;
        this.port = port;
        this.tls = tls;
        this.pollWaitMs = pollWaitMs;
        this.joined = joined;
    }

    @Override
    public void run() {
        try (CoordinatorClient client = new CoordinatorClient(host, port, tls)) {
            client.connect(Duration.ofSeconds(60));
            client.join(JoinRequest.newBuilder().setSoftwareVersion("simulated").setDevice("none")
                    .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(5))
                    .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(5)).build());
            joined.countDown();
            loop(client);
        } catch (Throwable t) {
            failure = t;
        }
    }

    private void loop(CoordinatorClient client) throws InterruptedException {
        while (true) {
            long asked = System.nanoTime();
            Task task = client.nextTask(pollWaitMs);
            switch (task.getKindCase()) {
                case TRAIN -> {
                    var t = task.getTrain();
                    byte[] sha = t.getModelSha256().toByteArray();
                    var model = client.downloadModel(t.getModelVersion(), sha);
                    try {
                        client.upload(t.getRound(), t.getModelVersion(), sha, delta(model.weights()), 10, 0.5);
                        uploads++;
                    } catch (StatusRuntimeException e) {
                        // a round that moved on is not a failure of the protocol under load; anything else is
                        if (e.getStatus().getCode() != io.grpc.Status.Code.FAILED_PRECONDITION) {
                            throw e;
                        }
                    }
                }
                case EVALUATE -> {
                    var e = task.getEvaluate();
                    client.downloadModel(e.getModelVersion(), e.getModelSha256().toByteArray());
                    client.reportEvaluation(EvaluationReport.newBuilder().setModelVersion(e.getModelVersion())
                            .setBags(10).setAuc(0.5).setAccuracy(0.5).setSensitivity(0.5).setSpecificity(0.5)
                            .setLoss(0.69).build());
                }
                case WAIT -> {
                    long rest = task.getWait().getRetryAfterMs() - (System.nanoTime() - asked) / 1_000_000;
                    if (rest > 0) {
                        Thread.sleep(rest);
                    }
                }
                case STOP -> {
                    return;
                }
                default -> throw new IllegalStateException("unknown task " + task.getKindCase());
            }
        }
    }

    /** Small, finite and different per site, so the aggregate is a real weighted mean and not a no-op. */
    private TensorSet delta(TensorSet global) {
        // all of one sign: deltas that cancel out would leave the global model unchanged
        float step = 1e-5f * (1 + index % 7);
        List<NamedTensor> out = new ArrayList<>();
        for (NamedTensor t : global.tensors()) {
            float[] v = new float[t.values().length];
            java.util.Arrays.fill(v, step);
            out.add(new NamedTensor(t.name(), t.shape(), v));
        }
        return new TensorSet(out);
    }

    public String name() {
        return name;
    }

    public Throwable failure() {
        return failure;
    }

    public int uploads() {
        return uploads;
    }
}
