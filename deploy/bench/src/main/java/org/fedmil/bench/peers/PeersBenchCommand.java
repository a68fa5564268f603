package org.fedmil.bench.peers;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSize;
import org.fedmil.mil.model.ModelSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fedmil bench peers}: FedMIL's real coordinator and sites against Flower's server and clients on the same
 * workload in the same run, alternating FedMIL, Flower, FedMIL, Flower; per process peak RSS and CPU, steady
 * round time by each framework's own clock, the load average, and the in-run ratios as rows for
 * docs/benchmarks.md.
 */
@Command(name = "peers", mixinStandardHelpOptions = true,
        description = "FedMIL against Flower (legacy start_server/start_client) on one workload, alternating runs.")
public final class PeersBenchCommand implements Callable<Integer> {

    @Option(names = "--parameters", defaultValue = "10020021",
            description = "model size: the mlp input width is chosen for at most this many (default ${DEFAULT-VALUE})")
    long parameters;

    @Option(names = "--hidden-dim", defaultValue = "500", description = "default ${DEFAULT-VALUE}")
    int hiddenDim;

    @Option(names = "--attention-dim", defaultValue = "128", description = "default ${DEFAULT-VALUE}")
    int attentionDim;

    @Option(names = "--sites", split = ",", defaultValue = "4,16", description = "K values (default ${DEFAULT-VALUE})")
    List<Integer> sites;

    @Option(names = "--rounds", defaultValue = "8", description = "default ${DEFAULT-VALUE}")
    int rounds;

    @Option(names = {"--pairs", "--repetitions"}, defaultValue = "2",
            description = "FedMIL/Flower pairs per K, run alternating A, B, A, B (default ${DEFAULT-VALUE})")
    int pairs;

    @Option(names = "--trainer", defaultValue = "fixed", description = "fixed (a fixed delta at both, overhead only) or real "
            + "(FedMIL's trainer at its sites; Flower's clients train the same model in PyTorch on the same bags) "
            + "(default ${DEFAULT-VALUE})")
    String trainer;

    @Option(names = "--coordinator-jvm", split = " ", description = "JVM options of the coordinator (default: "
            + "what FedMIL's launcher gives it: the heap sized from the model, docs/operator-guide.md, Memory)")
    List<String> coordinatorJvm;

    @Option(names = "--site-jvm", split = " ", description = "JVM options of each site (default: --coordinator-jvm "
            + "when given, else what the launcher gives a site: the heap sized from the host)")
    List<String> siteJvm;

    @Option(names = "--baseline-jvm", split = " ", description = "also run FedMIL with these JVM options after "
            + "each pair (e.g. -Xmx2g, the launcher's fixed heap): before/after in the same run")
    List<String> baselineJvm;

    @Option(names = "--baseline-lib", description = "also run FedMIL from the jars in this folder (a copy of "
            + "another build's deploy/target/fedmil/lib plus deploy/bench/target/lib) after each pair: before/after a "
            + "code change in one run. Its coordinator gets --baseline-jvm (give what that build's launcher gave), "
            + "its sites this build's site options")
    Path baselineLib;

    @Option(names = "--native-memory", description = "start FedMIL's coordinator and site 1 with Native Memory "
            + "Tracking and print where their memory is halfway through each FedMIL run")
    boolean nativeMemory;

    @Option(names = "--python", description = "the Python that runs Flower (default /usr/bin/python3, else python3)")
    String python;

    @Option(names = "--flower", description = "a folder with Flower's flwr package and shims/ (default "
            + "../shared/peers/flower when it exists; none: Flower installed in the Python)")
    Path flower;

    @Option(names = "--work", defaultValue = "target/bench-peers", description = "default ${DEFAULT-VALUE}")
    Path work;

    @Option(names = "--skip-flower", description = "run FedMIL only (no ratios)")
    boolean skipFlower;

    @Option(names = "--wire-relay", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "count the bytes on the wire: every framework's clients reach its server through a "
                    + "counting relay on loopback (--no-wire-relay: straight to the server, not counted; default "
                    + "${DEFAULT-VALUE})")
    boolean wireRelay;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        if (!trainer.equals("fixed") && !trainer.equals("real")) {
            throw new IllegalArgumentException("--trainer is " + trainer + "; expected fixed or real");
        }
        int inputDim = ModelSize.mlpInputDimFor(parameters, Architecture.ATTENTION, hiddenDim, attentionDim);
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, inputDim, hiddenDim, attentionDim);
        ModelSize size = ModelSize.of(spec);
        Files.createDirectories(work);
        String py = python != null ? python : Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3"
                : "python3";
        Path flowerDir = skipFlower ? null : FlowerFolder.prepare(flower, work);
        Optional<String> noFlower = skipFlower ? Optional.of("--skip-flower") : FlowerPeerRun.unavailable(py,
                flowerDir, work);
        noFlower.ifPresent(why -> out.println("bench peers: Flower is skipped: " + why));
        List<String> coordinatorOpts = coordinatorJvm != null ? coordinatorJvm : JvmSizing.coordinator(size);
        List<String> siteOpts = siteJvm != null ? siteJvm : coordinatorJvm != null ? coordinatorJvm : JvmSizing.site();
        FedmilPeerRun.Options options = new FedmilPeerRun.Options(coordinatorOpts, siteOpts, trainer.equals("real"),
                nativeMemory, System.getProperty("java.class.path"), wireRelay, JvmSizing.coordinatorEnv());
        if (baselineLib != null && !Files.isDirectory(baselineLib)) {
            throw new IllegalArgumentException("--baseline-lib " + baselineLib + " is not a folder; give a folder "
                    + "of a FedMIL build's jars (deploy/target/fedmil/lib plus deploy/bench/target/lib)");
        }
        out.printf(Locale.ROOT, "bench peers: model %s: %s; K %s, %d rounds, %d pair(s), trainer %s; FedMIL JVM %s, "
                + "sites %s%n", spec, size, sites, rounds, pairs, trainer, coordinatorOpts, siteOpts);
        List<String> jvmNote = List.of("coordinator " + String.join(" ", coordinatorOpts) + "; sites "
                + String.join(" ", siteOpts));
        List<PeerRun> all = new ArrayList<>();
        try (ProcessProbe probe = new ProcessProbe()) {
            for (int k : sites) {
                for (int pair = 1; pair <= pairs; pair++) {
                    Path dir = work.resolve("k" + k + "-pair" + pair);
                    deleteRecursively(dir);
                    PeerRun a = FedmilPeerRun.run(dir.resolve("fedmil"), spec, k, rounds, options, probe, out);
                    out.println(PeersTable.row(a));
                    all.add(a);
                    // written after every run, so an interrupted benchmark keeps what it measured
                    Files.writeString(work.resolve("peers.md"), PeersTable.markdown(spec, size, rounds, trainer,
                            jvmNote, all));
                    if (noFlower.isEmpty()) {
                        List<Path> trainOn = options.realTrainer() ? FedmilPeerRun.siteData(dir.resolve("fedmil"), k)
                                : List.of();
                        PeerRun b = FlowerPeerRun.run(dir.resolve("flower"), py, flowerDir, ModelSize.tensorsOf(spec),
                                k, rounds, trainOn, wireRelay, probe, out);
                        out.println(PeersTable.row(b));
                        all.add(b);
                    // written after every run, so an interrupted benchmark keeps what it measured
                    Files.writeString(work.resolve("peers.md"), PeersTable.markdown(spec, size, rounds, trainer,
                            jvmNote, all));
                    }
                    if (baselineJvm != null || baselineLib != null) {
                        // another build's coordinator takes --baseline-jvm (its own launcher's options), its sites
                        // the same options as this build's, so that only the coordinator differs
                        List<String> cJvm = baselineJvm != null ? baselineJvm : coordinatorOpts;
                        List<String> sJvm = baselineLib != null || baselineJvm == null ? siteOpts : baselineJvm;
                        String label = "FedMIL " + (baselineLib != null ? "from " + baselineLib + " " : "")
                                + String.join(" ", cJvm);
                        PeerRun c = FedmilPeerRun.run(dir.resolve("fedmil-baseline"), spec, k, rounds,
                                new FedmilPeerRun.Options(cJvm, sJvm, options.realTrainer(), nativeMemory,
                                        baselineLib == null ? options.classPath()
                                                : baselineLib.toAbsolutePath() + java.io.File.separator + "*",
                                        wireRelay, baselineLib == null ? options.coordinatorEnv()
                                                : java.util.Map.of()),
                                probe, out).labelled(label);
                        out.println(PeersTable.row(c));
                        all.add(c);
                    // written after every run, so an interrupted benchmark keeps what it measured
                    Files.writeString(work.resolve("peers.md"), PeersTable.markdown(spec, size, rounds, trainer,
                            jvmNote, all));
                    }
                }
            }
        }
        String table = PeersTable.markdown(spec, size, rounds, trainer, jvmNote, all);
        Files.writeString(work.resolve("peers.md"), table);
        out.println();
        out.println(table);
        out.println("bench peers: written to " + work.resolve("peers.md"));
        return 0;
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (var paths = Files.walk(dir)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
