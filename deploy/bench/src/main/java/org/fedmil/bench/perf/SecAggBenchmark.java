package org.fedmil.bench.perf;

import ai.djl.Device;
import com.google.protobuf.ByteString;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.IncomingUpdate;
import org.fedmil.coordinator.round.RoundCloseTiming;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.RoundRules;
import org.fedmil.coordinator.round.SecAggGraphPolicy;
import org.fedmil.coordinator.round.SignedUpdate;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.Task;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.proto.v1.ModelHeader;
import org.fedmil.proto.v1.SecAggAdvertiseTask;
import org.fedmil.proto.v1.SecAggKeys;
import org.fedmil.proto.v1.SecAggMaskTask;
import org.fedmil.proto.v1.SecAggShareTask;
import org.fedmil.proto.v1.SecAggShares;
import org.fedmil.proto.v1.SecAggUnmaskShares;
import org.fedmil.proto.v1.SecAggUpload;
import org.fedmil.proto.v1.TrainTask;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.protocol.Wire;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.RosterAuthentication;
import org.fedmil.secagg.SecAggClient;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;

/**
 * What secure aggregation costs against plain FedAvg, for K = 5, 20 and 50 sites. Both federations
 * run the production round logic ({@link FederationRun}, FedAvg, the secure-aggregation steps and the
 * {@link SecAggClient} every site agent uses) in one process with simulated sites (one thread each, a fixed random
 * delta instead of DJL training, no network, a constant held-out "evaluation"), so that the figures are the
 * protocol's own cost: the protobuf bytes each site sends and receives on top of plain FedAvg's, the round's wall
 * time, each site's own compute, and the coordinator's aggregation (unmasking included).
 */
public final class SecAggBenchmark implements PerfBenchmark {

    /** The demo's model: attention MIL over 32 features, hidden 64, attention 32. */
    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 32, 64, 32);
    private static final long BAGS = 160;

    @Override
    public String id() {
        return "secagg";
    }

    /** What one simulated federation measured, per site and round. */
    record Result(double roundMillis, double siteCpuMillis, double aggregateMillis, double sentBytes,
                  double receivedBytes, double coordinatorCpuMillis, TensorSet finalModel) {
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        int[] ks = context.quick() ? new int[] {5} : new int[] {5, 20, 50};
        int rounds = context.pick(7, 2);
        TensorSet initial;
        try (MilModel m = MilModel.create(SPEC, Device.cpu(), 0)) {
            initial = m.weights();
        }
        List<Figure> figures = new ArrayList<>();
        try (BenchConsortium pki = new BenchConsortium()) {
            for (int k : ks) {
                // plain first, then secure, once to warm the JIT, then measured
                simulate(k, false, 2, initial, pki);
                simulate(k, true, 2, initial, pki);
                Result plain = simulate(k, false, rounds, initial, pki);
                Result secure = simulate(k, true, rounds, initial, pki);
                context.out().printf(Locale.ROOT, "K=%d: plain %s%nK=%d: secure %s%n", k, plain, k, secure);
                String how = k + " simulated sites in one process (threads on this machine's 2 shared cores, no "
                        + "network), production FederationRun + FedAvg + SecAggClient (keys signed and checked), demo "
                        + "model " + initial.parameterCount() + " parameters, threshold t = " + (k / 2 + 1)
                        + ", no dropouts; median over rounds 2.." + rounds + " of " + rounds;
                figures.add(new Figure("secagg.bytes_sent.k" + k, "extra bytes sent per site per round, secure "
                        + "aggregation, K=" + k, secure.sentBytes() - plain.sentBytes(), "B", plain.sentBytes(),
                        "plain FedAvg upload (float32 delta + header)", Double.NaN, false, "protobuf payload: "
                        + "signed keys, " + k + " encrypted share pairs, the masked delta (8 B/coordinate instead of "
                        + "4), the survivor-set signature, unmasking shares; gRPC/HTTP2/TLS framing not counted"));
                figures.add(new Figure("secagg.bytes_received.k" + k, "extra bytes received per site per round, secure "
                        + "aggregation, K=" + k, secure.receivedBytes() - plain.receivedBytes(), "B",
                        plain.receivedBytes(), "plain FedAvg train task + model download", Double.NaN, false,
                        "protobuf payload of the 4 extra tasks (parameters, key roster with certificates, " + k
                                + " routed ciphertexts, survivor set, unmask lists with the survivors' signatures and "
                                + "certificates); the signed log head each task carries (~0.3 KB) "
                                + "not counted"));
                figures.add(new Figure("secagg.round_time.k" + k, "round time with secure aggregation, K=" + k,
                        secure.roundMillis(), "ms", plain.roundMillis(), "plain FedAvg, same sites and deltas",
                        Double.NaN, false, how + "; every site's work shares the 2 cores, so this grows with K² "
                                + "where real sites work in parallel on their own machines"));
                figures.add(new Figure("secagg.site_cpu.k" + k, "site CPU per round, secure aggregation, K=" + k,
                        secure.siteCpuMillis(), "ms", plain.siteCpuMillis(), "plain FedAvg site: encode + SHA-256 of "
                        + "the delta", Double.NaN, false, "median over sites of the thread CPU time of the site's "
                        + "own protocol work (keys, Shamir shares, AES-GCM, masks, encoding), local training excluded; "
                        + how));
                figures.add(new Figure("secagg.aggregate.k" + k, "coordinator aggregation per round, secure "
                        + "aggregation, K=" + k, secure.aggregateMillis(), "ms", plain.aggregateMillis(),
                        "plain FedAvg", Double.NaN, false, "RoundCloseTiming.aggregateSeconds: rebuilding the "
                        + "secrets, unmasking the sum, the server step; " + how));
            }
        }
        return figures;
    }

    private static Result simulate(int k, boolean secure, int rounds, TensorSet initial, BenchConsortium pki)
            throws Exception {
        return simulate(k, secure, rounds, SPEC, initial, pki, SecAggGraphPolicy.FULL);
    }

    /** One federation of k simulated sites; {@code graph} picks full SecAgg or SecAgg+ when {@code secure}. */
    static Result simulate(int k, boolean secure, int rounds, ModelSpec spec, TensorSet initial, BenchConsortium pki,
                           SecAggGraphPolicy graph) throws Exception {
        FederationPlan plan = new FederationPlan("bench", k, rounds, spec,
                new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), false,
                // min_updates ⌊K/2⌋ + 1, so t = ⌊K/2⌋ + 1: the round survives up to ⌈K/2⌉ − 1 dropouts
                new RoundRules(k / 2 + 1, 0, RoundRules.ShortRound.RETRY, 1e4), secure).withSecAggGraph(graph);
        List<RoundResult> results = Collections.synchronizedList(new ArrayList<>());
        GlobalModel[] last = new GlobalModel[1];
        long processCpu0 = processCpuNanos();
        FederationRun run = new FederationRun(plan, GlobalModel.of(0, spec, initial), null,
                w -> BinaryMetrics.of(new int[] {0, 1}, new float[] {0.2f, 0.8f}), new FedAvg(), new RoundListener() {
                    @Override
                    public void roundCompleted(RoundResult result, GlobalModel model) {
                        results.add(result);
                        last[0] = model;
                    }
                });
        run.start();
        ExecutorService pool = Executors.newFixedThreadPool(k);
        List<Future<Site>> sites = new ArrayList<>();
        try {
            for (int i = 0; i < k; i++) {
                String id = String.format(Locale.ROOT, "site-%03d", i);
                Site s = new Site(id, run, initial, i, pki.site(id));
                sites.add(pool.submit(() -> {
                    s.work();
                    return s;
                }));
            }
            double[] cpu = new double[k];
            double sent = 0;
            double received = 0;
            long siteCpuTotal = 0;
            for (int i = 0; i < k; i++) {
                Site s = sites.get(i).get(30, TimeUnit.MINUTES);
                cpu[i] = s.cpuNanos / 1e6 / rounds;
                siteCpuTotal += s.cpuNanos;
                sent += (double) s.sent / rounds / k;
                received += (double) s.received / rounds / k;
            }
            double[] times = results.stream().filter(r -> r.round() >= 2).mapToDouble(r -> r.seconds() * 1e3)
                    .toArray();
            double[] aggregate = run.closeTimings().stream().filter(t -> t.round() >= 2)
                    .mapToDouble(t -> t.aggregateSeconds() * 1e3).toArray();
            if (times.length == 0) {
                times = results.stream().filter(r -> r.round() >= 1).mapToDouble(r -> r.seconds() * 1e3).toArray();
                aggregate = run.closeTimings().stream().mapToDouble(RoundCloseTiming::aggregateSeconds)
                        .map(x -> x * 1e3).toArray();
            }
            // the process's CPU less the sites' own protocol work: the coordinator's threads, with GC and JIT
            double coordinatorCpu = (processCpuNanos() - processCpu0 - siteCpuTotal) / 1e6 / rounds;
            return new Result(Medians.median(times), Medians.median(cpu), Medians.median(aggregate), sent, received,
                    coordinatorCpu, last[0] == null ? null : last[0].weights());
        } finally {
            pool.shutdownNow();
            run.close();
        }
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }

    /** One simulated site: the protocol as the site agent speaks it, with a fixed random delta for training. */
    private static final class Site {
        private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
        private static final SiteJoin JOIN = new SiteJoin("bench", "cpu()", Map.of(0, BAGS / 2, 1, BAGS / 2));

        final String id;
        final FederationRun run;
        final TensorSet delta;
        final float[] flat;
        long cpuNanos;
        long sent;
        long received;
        private SecAggClient client;
        private final RosterAuthentication authentication;

        Site(String id, FederationRun run, TensorSet like, int seed, RosterAuthentication authentication) {
            this.id = id;
            this.authentication = authentication;
            this.run = run;
            Random r = new Random(seed);
            List<NamedTensor> tensors = new ArrayList<>();
            List<Float> all = new ArrayList<>();
            for (NamedTensor t : like.tensors()) {
                float[] v = new float[t.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.01 * r.nextGaussian());
                    all.add(v[i]);
                }
                tensors.add(new NamedTensor(t.name(), t.shape(), v));
            }
            this.delta = new TensorSet(tensors);
            this.flat = new float[all.size()];
            for (int i = 0; i < flat.length; i++) {
                flat[i] = all.get(i);
            }
        }

        void work() throws Exception {
            run.join(id, JOIN);
            while (true) {
                Task t = run.nextTask(id, Duration.ofSeconds(2));
                if (t instanceof Task.Stop) {
                    return;
                }
                if (t instanceof Task.Train train) {
                    plain(train);
                } else if (t instanceof Task.SecAggAdvertise a) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    client = new SecAggClient(id, a.parameters(), authentication, new SecureRandom());
                    KeyAdvertisement keys = client.advertise();
                    SecAggKeys wire = SecAggWire.toKeys(a.parameters().round(), keys);
                    cpuNanos += THREADS.getCurrentThreadCpuTime() - c0;
                    received += SecAggAdvertiseTask.newBuilder().setParameters(SecAggWire.toProto(a.parameters()))
                            .build().getSerializedSize();
                    sent += wire.getSerializedSize();
                    run.secAggAdvertise(id, a.parameters().round(), keys);
                } else if (t instanceof Task.SecAggShare s) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    SecAggShares wire = SecAggWire.toProto(s.round(), client.shareKeys(s.roster()));
                    cpuNanos += THREADS.getCurrentThreadCpuTime() - c0;
                    SecAggShareTask.Builder task = SecAggShareTask.newBuilder().setRound(s.round());
                    s.roster().forEach(x -> task.addRoster(SecAggWire.toProto(x)));
                    received += task.build().getSerializedSize();
                    sent += wire.getSerializedSize();
                    run.secAggShare(id, s.round(), SecAggWire.fromProto(id, wire));
                } else if (t instanceof Task.SecAggMask m) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    client.receiveShares(m.shares());
                    MaskedInput in = client.maskInput(flat, BAGS);
                    ByteBuffer b = ByteBuffer.allocate(8 * flat.length).order(ByteOrder.LITTLE_ENDIAN);
                    b.asLongBuffer().put(in.masked());
                    byte[] bytes = b.array();
                    byte[] sha = Sha256.of(bytes);
                    cpuNanos += THREADS.getCurrentThreadCpuTime() - c0;
                    // the mask task is the train task plus the parameters and this site's ciphertexts
                    SecAggMaskTask.Builder task = SecAggMaskTask.newBuilder().setTrain(TrainTask.newBuilder()
                            .setConfig(TrainingConfig.newBuilder()
                                    .setSecureAggregation(SecAggWire.toProto(m.parameters()))));
                    m.shares().forEach(x -> task.addShares(SecAggWire.toProto(x)));
                    received += task.build().getSerializedSize() + plainReceived(m.train());
                    sent += header(m.train().round(), sha, bytes.length, true).getSerializedSize() + bytes.length;
                    run.submit(id, new IncomingUpdate(m.train().round(), m.train().model().version(), sha, BAGS,
                            0.5, delta.specs(), bytes, SignedUpdate.UNSIGNED, DeltaEncoding.FLOAT32, true,
                            m.parameters().fractionalBits()));
                } else if (t instanceof Task.SecAggConsistency c) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    var signature = client.signSurvivors(c.request());
                    var wire = SecAggWire.toProto(c.round(), signature);
                    cpuNanos += THREADS.getCurrentThreadCpuTime() - c0;
                    received += SecAggWire.toConsistencyTask(c.round(), c.request()).getSerializedSize();
                    sent += wire.getSerializedSize();
                    run.secAggSignSurvivors(id, c.round(), signature);
                } else if (t instanceof Task.SecAggUnmask u) {
                    long c0 = THREADS.getCurrentThreadCpuTime();
                    SecAggUnmaskShares wire = SecAggWire.toProto(u.round(),
                            client.unmask(u.request(), u.signatures()));
                    cpuNanos += THREADS.getCurrentThreadCpuTime() - c0;
                    received += SecAggWire.toProto(u.round(), u.request(), u.signatures()).getSerializedSize();
                    sent += wire.getSerializedSize();
                    run.secAggUnmask(id, u.round(), SecAggWire.fromProto(id, wire));
                }
            }
        }

        private void plain(Task.Train train) {
            long c0 = THREADS.getCurrentThreadCpuTime();
            byte[] bytes = TensorCodec.encode(delta);
            byte[] sha = Sha256.of(bytes);
            cpuNanos += THREADS.getCurrentThreadCpuTime() - c0;
            received += plainReceived(train);
            sent += header(train.round(), sha, bytes.length, false).getSerializedSize() + bytes.length;
            run.submit(id, new IncomingUpdate(train.round(), train.model().version(), sha, BAGS, 0.5, delta.specs(),
                    bytes));
        }

        /** The train task and the model download: what a plain FedAvg site receives per round. */
        private long plainReceived(Task.Train train) {
            TrainTask task = TrainTask.newBuilder().setRound(train.round()).setModelVersion(train.model().version())
                    .setModelSha256(ByteString.copyFrom(train.model().sha256()))
                    .setModel(Wire.toProto(train.model().spec())).build();
            ModelHeader header = ModelHeader.newBuilder().setModelVersion(train.model().version())
                    .setSha256(ByteString.copyFrom(train.model().sha256()))
                    .addAllTensors(Wire.toProto(train.model().weights().specs()))
                    .setTotalBytes(train.model().bytes().length).setModel(Wire.toProto(train.model().spec())).build();
            return task.getSerializedSize() + header.getSerializedSize() + train.model().bytes().length;
        }

        /** The upload header as the site agent sends it (a 72-byte stand-in where the site's signature goes). */
        private UpdateHeader header(int round, byte[] sha, int bytes, boolean masked) {
            UpdateHeader.Builder h = UpdateHeader.newBuilder().setRound(round).setBaseModelVersion(round - 1)
                    .setBaseModelSha256(ByteString.copyFrom(new byte[32])).setDeltaSha256(ByteString.copyFrom(sha))
                    .setNumTrainingBags(BAGS).setTrainLoss(0.5).addAllTensors(Wire.toProto(delta.specs()))
                    .setTotalBytes(bytes).setSiteSignature(ByteString.copyFrom(new byte[72]));
            if (masked) {
                h.setSecureAggregation(SecAggUpload.newBuilder().setFractionalBits(40));
            }
            return h.build();
        }
    }
}
