package org.fedmil.bench.perf;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.tls.MutualTls;

/**
 * A model download and a delta upload over the production transport ({@link GrpcPair}: gRPC on Netty with the
 * coordinator's and a site's settings) on loopback, against a raw JDK TLS 1.3 socket ({@link RawTlsPair}) with the
 * same certificates and cipher suite moving the same bytes, back to back in every repetition. Each transfer's wall
 * time and the process's CPU time are both kept ({@link Transfer}): on a shared machine the wall-clock ratio measures
 * the neighbours too, the CPU seconds per byte much less.
 */
public final class TransportBenchmark implements PerfBenchmark {

    /**
     * A setting tried against the production ones in the same run: a fixed 8 MiB HTTP/2 flow-control window on both
     * ends instead of the auto-tuned ones, which was not faster in a consistent direction (docs/benchmarks.md).
     */
    static final String TRIED = "window=8388608";

    /** Another setting to try in the slot of {@link #TRIED}, e.g. {@code -Dfedmil.bench.transport.tried=chunk=1048576}. */
    static final String TRIED_PROPERTY = "fedmil.bench.transport.tried";

    @Override
    public String id() {
        return "transport";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        int bytes = context.pick(128 << 20, 4 << 20);
        List<TensorSpec> specs = AggregationBenchmark.specs(bytes / 4);
        byte[] model = AggregationBenchmark.update(specs, 3);
        TensorSet weights = TensorCodec.decode(specs, model);
        Path pki = context.work().resolve("transport-pki");
        deleteTree(pki);
        ConsortiumCa ca = ConsortiumCa.init(pki, "bench", Duration.ofDays(400));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(90));
        PartyCredentials site = ca.issueSite("bench-site", Duration.ofDays(90));
        // gRPC's and Netty's paths are compiled by the JIT only after ~1 GiB has moved (on a quiet machine the
        // first nine 128 MiB repetitions still rose from ~0.8 to ~1.4 GB/s on both sides), and a coordinator or a
        // site moves models for days: the steady state is the figure, so both sides get 6 warm-up repetitions
        int warmups = context.pick(6, 1);
        int reps = context.pick(11, 2);
        GrpcPair.Settings production = GrpcPair.Settings.production();
        GrpcPair.Settings alternative = GrpcPair.Settings.parse(System.getProperty(TRIED_PROPERTY, TRIED));
        Transfer[][] t = new Transfer[6][reps]; // production down, up; alternative down, up; raw TLS down, up
        String ciphers;
        try (GrpcPair grpc = new GrpcPair(coordinator, site, weights, model, production);
             GrpcPair tried = new GrpcPair(coordinator, site, weights, model, alternative)) {
            grpc.download(); // the first call makes the connection, whose cipher suite the raw TLS pair then uses
            try (RawTlsPair raw = new RawTlsPair(coordinator, site, grpc.cipherSuite())) {
                ciphers = "gRPC " + grpc.cipherSuite() + " (" + MutualTls.nettyNatives() + "), raw JDK TLS "
                        + raw.cipherSuite();
                context.out().println("transport cipher suites: " + ciphers);
                warmups = measure(context, new GrpcPair[] {grpc, tried}, raw, model, warmups, t);
            }
        }
        PairedRatios down = PairedRatios.of(rates(t[0]), rates(t[4]));
        PairedRatios up = PairedRatios.of(rates(t[1]), rates(t[5]));
        PairedRatios cpuDown = PairedRatios.of(perCpu(t[0]), perCpu(t[4]));
        PairedRatios cpuUp = PairedRatios.of(perCpu(t[1]), perCpu(t[5]));
        String cpu = String.format(Locale.ROOT, "CPU-s/GB (whole process, medians): gRPC down %.2f up %.2f, raw TLS "
                + "down %.2f up %.2f", cpuPerGb(t[0]), cpuPerGb(t[1]), cpuPerGb(t[4]), cpuPerGb(t[5]));
        // the lines a reader copies when listing runs: the pair ratios' spread, not only the medians' ratio, and the
        // same per CPU-second, which a neighbour's load does not move as much as the wall clock
        context.out().printf(Locale.ROOT, "transport ratio gRPC/raw TLS: download %s; upload %s%n",
                down.summary(TARGET), up.summary(TARGET));
        context.out().printf(Locale.ROOT, "transport ratio gRPC/raw TLS per CPU-second: download %s; upload %s; %s; "
                + "%s CPU-s/GB down %.2f up %.2f%s%n", cpuDown.summary(TARGET), cpuUp.summary(TARGET), cpu,
                alternative.name(), cpuPerGb(t[2]), cpuPerGb(t[3]), alternative.maxFrameSize() == 0 ? ""
                        : " (mean DATA frame received " + LargeFrames.meanDataFrameBytes() + " bytes)");
        String note = String.format(Locale.ROOT, "%d MiB over loopback, median of %d after %d warm-ups, gRPC and raw "
                        + "TLS back to back in each repetition; production settings: the coordinator's %d KiB download "
                        + "chunks and network buffers, 1 MiB upload chunks, auto-tuned flow control; mutual TLS (EC "
                        + "P-256), %s", bytes >> 20, reps, warmups, production.downloadChunkBytes() >> 10, ciphers);
        String tryNote = String.format(Locale.ROOT, "%d MiB, as above, with %s (tried, not adopted)", bytes >> 20,
                alternative.name());
        String raw = "raw JDK SSLSocket, TLS 1.3, same certificates, cipher and bytes";
        return List.of(
                new Figure("transport.download", "model download over mutual-TLS gRPC", Medians.median(rates(t[0])) / 1e6,
                        "MB/s", Medians.median(rates(t[4])) / 1e6, raw, TARGET, true,
                        note + "; pair ratios " + down.summary(TARGET) + "; per CPU-second " + cpuDown.summary(TARGET)
                                + "; " + cpu),
                new Figure("transport.upload", "delta upload over mutual-TLS gRPC", Medians.median(rates(t[1])) / 1e6,
                        "MB/s", Medians.median(rates(t[5])) / 1e6, raw, TARGET, true,
                        note + "; pair ratios " + up.summary(TARGET) + "; per CPU-second " + cpuUp.summary(TARGET)),
                new Figure("transport.download.tried", "model download, " + alternative.name() + " (tried)",
                        Medians.median(rates(t[2])) / 1e6, "MB/s", Medians.median(rates(t[4])) / 1e6, raw, TARGET,
                        true, tryNote),
                new Figure("transport.upload.tried", "delta upload, " + alternative.name() + " (tried)",
                        Medians.median(rates(t[3])) / 1e6, "MB/s", Medians.median(rates(t[5])) / 1e6, raw, TARGET,
                        true, tryNote));
    }

    /**
     * Runs the repetitions, each gRPC (production, then the alternative) and raw TLS back to back in each direction,
     * into {@code t} (production down, up; alternative down, up; raw TLS down, up).
     *
     * @return the warm-up repetitions run: {@code warmups}, or more while the JIT was still busy
     */
    private static int measure(PerfContext context, GrpcPair[] pairs, RawTlsPair raw, byte[] model, int warmups,
                               Transfer[][] t) throws Exception {
        GrpcPair grpc = pairs[0];
        GrpcPair tried = pairs[1];
        int reps = t[0].length;
        int warmed = 0;
        int extraWarmups = context.pick(MAX_EXTRA_WARMUPS, 0);
        for (int r = -warmups; r < reps; r++) {
            long jit0 = jitMillis();
            long cpu0 = Transfer.processCpuNanos();
            Transfer[] rep = {grpc.download(), tried.download(), raw.transfer(model, false), grpc.upload(),
                    tried.upload(), raw.transfer(model, true)};
            double jitShare = (jitMillis() - jit0) / ((Transfer.processCpuNanos() - cpu0) / 1e6);
            context.out().printf(Locale.ROOT, "rep %d: grpc down %s up %s, %s down %s up %s, raw tls down %s "
                            + "up %s (MB/s [CPU-s/GB]); JIT compile time %.0f %% of the process's CPU time%n", r, show(rep[0]),
                    show(rep[3]), tried.name(), show(rep[1]), show(rep[4]), show(rep[2]), show(rep[5]),
                    100 * jitShare);
            // the JIT compiles Netty's and gRPC's large paths long after the JDK's small TLS path, and on a
            // loaded machine its threads fall behind: its CPU would be charged to gRPC and its slower
            // interim code timed. Warm-up goes on (up to MAX_EXTRA_WARMUPS more) until compiling is a small share.
            if (r == -1 && jitShare > STEADY_JIT_SHARE && warmed < extraWarmups) {
                warmed++;
                r--;
                continue;
            }
            if (r >= 0) {
                int[] slot = {0, 2, 4, 1, 3, 5};
                for (int i = 0; i < rep.length; i++) {
                    t[slot[i]][r] = rep[i];
                }
            }
        }
        return warmups + warmed;
    }

    /**
     * The JIT's compile time (elapsed in its threads, as the JVM reports it) below this share of the process's CPU
     * time in a warm-up repetition counts as warm.
     */
    static final double STEADY_JIT_SHARE = 0.03;
    /** Warm-up repetitions beyond the first ones at most, when the JIT is still busy. */
    static final int MAX_EXTRA_WARMUPS = 14;

    private static long jitMillis() {
        java.lang.management.CompilationMXBean jit = java.lang.management.ManagementFactory.getCompilationMXBean();
        return jit != null && jit.isCompilationTimeMonitoringSupported() ? jit.getTotalCompilationTime() : 0;
    }

    private static String show(Transfer t) {
        return String.format(Locale.ROOT, "%.0f [%.2f]", t.rate() / 1e6, t.cpuSecondsPerGb());
    }

    private static double[] rates(Transfer[] ts) {
        return java.util.Arrays.stream(ts).mapToDouble(Transfer::rate).toArray();
    }

    private static double[] perCpu(Transfer[] ts) {
        return java.util.Arrays.stream(ts).mapToDouble(Transfer::perCpuSecond).toArray();
    }

    private static double cpuPerGb(Transfer[] ts) {
        return Medians.median(java.util.Arrays.stream(ts).mapToDouble(Transfer::cpuSecondsPerGb).toArray());
    }

    /** gRPC at least 0.8× the raw TLS socket, each way. */
    static final double TARGET = 0.8;

    private static void deleteTree(Path dir) throws IOException {
        if (java.nio.file.Files.exists(dir)) {
            try (var walk = java.nio.file.Files.walk(dir)) {
                for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                    java.nio.file.Files.delete(p);
                }
            }
        }
    }

}
