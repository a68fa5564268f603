package org.fedmil.bench.perf;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.RoundCloseTiming;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.TrainTask;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.tensor.TensorSet;

/**
 * What a round costs beyond its slowest site's local work. A real coordinator (mutual TLS on
 * loopback, FedAvg, DJL held-out evaluation, state folder with round log) and 8 sites speaking the real protocol
 * through the production {@link CoordinatorClient} (join, long-poll for tasks, download, signed upload), whose
 * local training is a fixed sleep instead of DJL, so that the round's wall time minus that sleep is the
 * federation's own overhead: task hand-out, transfers, aggregation, evaluation, saving.
 */
public final class RoundOverheadBenchmark implements PerfBenchmark {

    private static final int SITES = 8;

    @Override
    public String id() {
        return "rounds";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        int rounds = context.pick(6, 2);
        long workMillis = context.pick(2000L, 200L);
        Path dir = context.work().resolve("rounds-" + System.nanoTime());
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "bench", Duration.ofDays(400));
        PartyCredentials server = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(90));
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1)
                .withBags(10, context.pick(200, 40)).withSeed(7)).writeTo(dir.resolve("data"));
        CoordinatorConfig config = new CoordinatorConfig("bench", new CoordinatorConfig.Listen("127.0.0.1", 0),
                tls(server), dir.resolve("state"), dir.resolve("data").resolve("heldout"), SITES, rounds,
                new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null),
                new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null), "cpu")
                .resolvedAgainst(dir.resolve("coordinator.yaml"));
        // round → the earliest moment a site held its train task; site → round → its local work
        Map<Integer, Long> opened = new ConcurrentHashMap<>();
        Map<Integer, Double> slowestWork = new ConcurrentHashMap<>();
        long[] finished = new long[1];
        List<RoundCloseTiming> closing;
        try (Coordinator coordinator = new Coordinator(config, new PrintStream(OutputStream.nullOutputStream()))) {
            coordinator.start();
            ExecutorService pool = Executors.newFixedThreadPool(SITES);
            try {
                List<Future<Long>> sites = new ArrayList<>();
                for (int i = 1; i <= SITES; i++) {
                    PartyCredentials site = ca.issueSite("site-" + i, Duration.ofDays(90));
                    sites.add(pool.submit(() -> new FakeSite(site, coordinator.port(), workMillis, opened,
                            slowestWork).run()));
                }
                long last = 0;
                for (Future<Long> f : sites) {
                    last = Math.max(last, f.get(30, TimeUnit.MINUTES));
                }
                finished[0] = last;
            } finally {
                pool.shutdownNow();
            }
            coordinator.awaitCompletion();
            closing = coordinator.run().closeTimings();
        }
        // round r's wall time: from its first train task to round r+1's first (the last round: to its end,
        // which is when the site evaluation task went out)
        int skip = context.pick(1, 0);
        List<Double> overheads = new ArrayList<>();
        List<Double> walls = new ArrayList<>();
        for (int r = 1 + skip; r <= rounds; r++) {
            Long start = opened.get(r);
            Long end = r < rounds ? opened.get(r + 1) : opened.get(-1);
            if (start == null || end == null || !slowestWork.containsKey(r)) {
                throw new IllegalStateException("round " + r + " was not seen by the sites");
            }
            double wall = (end - start) / 1e9;
            walls.add(wall);
            overheads.add(wall - slowestWork.get(r));
            context.out().printf(Locale.ROOT, "round %d: wall %.3f s, slowest local work %.3f s, overhead %.3f s%n",
                    r, wall, slowestWork.get(r), wall - slowestWork.get(r));
        }
        double overhead = Medians.median(overheads.stream().mapToDouble(Double::doubleValue).toArray());
        double wall = Medians.median(walls.stream().mapToDouble(Double::doubleValue).toArray());
        double aggregate = median(closing, RoundCloseTiming::aggregateSeconds);
        double evaluate = median(closing, RoundCloseTiming::evaluateSeconds);
        double record = median(closing, RoundCloseTiming::recordSeconds);
        // the issue's target: ≤ 5 % of the round or ≤ 300 ms, whichever is larger, as a ratio to the allowance
        double allowance = Math.max(0.05 * wall, 0.300);
        String note = String.format(Locale.ROOT, "%d sites on loopback, real coordinator and protocol, local work a "
                        + "%d ms sleep; median over rounds %d–%d of %d; of the overhead the coordinator spent %.0f ms "
                        + "aggregating (server step, model bytes, SHA-256), %.0f ms on the held-out evaluation, "
                        + "%.0f ms saving (model, metrics, round log fsyncs); the rest is task hand-out, "
                        + "downloads, uploads and their checks", SITES, workMillis, 1 + skip, rounds, rounds,
                aggregate * 1e3, evaluate * 1e3, record * 1e3);
        return List.of(
                new Figure("rounds.overhead", "round overhead (wall − slowest site's local work)", overhead * 1e3, "ms",
                        allowance * 1e3, "allowance: max(5 % of the round, 300 ms)", 1.0, false, note),
                new Figure("rounds.close.evaluate", "held-out evaluation per round", evaluate * 1e3, "ms",
                        overhead * 1e3, "the round overhead", Double.NaN, false,
                        "part of the overhead, median over rounds; the coordinator's DJL evaluation of each new model"),
                new Figure("rounds.close.record", "saving a round (model, metrics, round log)", record * 1e3, "ms",
                        overhead * 1e3, "the round overhead", Double.NaN, false,
                        "part of the overhead, median over rounds; temp file + fsync + rename per file"));
    }

    private static double median(List<RoundCloseTiming> timings, java.util.function.ToDoubleFunction<RoundCloseTiming> part) {
        return timings.isEmpty() ? Double.NaN : Medians.median(timings.stream().mapToDouble(part).toArray());
    }

    private static TlsFiles tls(PartyCredentials p) {
        return new TlsFiles(p.cert(), p.key(), p.ca());
    }

    /** A site agent whose training is a sleep: the production client and protocol, no DJL. */
    private record FakeSite(PartyCredentials credentials, int port, long workMillis, Map<Integer, Long> opened,
                            Map<Integer, Double> slowestWork) {

        /** Runs until told to stop; returns when it was. */
        long run() throws Exception {
            try (CoordinatorClient client = new CoordinatorClient("localhost", port, tls(credentials))) {
                client.join(JoinRequest.newBuilder().setSoftwareVersion("fedmil-bench").setDevice("cpu()")
                        .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(50))
                        .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(50)).build());
                CoordinatorClient.DownloadedModel model = null;
                while (true) {
                    Task task = client.nextTask(30_000);
                    long now = System.nanoTime();
                    if (task.hasStop()) {
                        return now;
                    }
                    if (task.hasTrain()) {
                        TrainTask t = task.getTrain();
                        opened.merge(t.getRound(), now, Math::min);
                        if (model == null || model.version() != t.getModelVersion()) {
                            model = client.downloadModel(t.getModelVersion(), t.getModelSha256().toByteArray());
                        }
                        long w0 = System.nanoTime();
                        Thread.sleep(workMillis);
                        slowestWork.merge(t.getRound(), (System.nanoTime() - w0) / 1e9, Math::max);
                        TensorSet delta = model.weights().minus(model.weights());
                        client.upload(t.getRound(), t.getModelVersion(), t.getModelSha256().toByteArray(), delta,
                                100, 0.5);
                    } else if (task.hasEvaluate()) {
                        opened.merge(-1, now, Math::min);
                        client.reportEvaluation(EvaluationReport.newBuilder()
                                .setModelVersion(task.getEvaluate().getModelVersion()).setBags(100).setAuc(0.5)
                                .setAccuracy(0.5).setSensitivity(0.5).setSpecificity(0.5).setLoss(0.69).build());
                    }
                }
            }
        }
    }
}
