package org.fedmil.cli;

import ai.djl.engine.Engine;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fedmil demo}: the whole federation on one machine. It writes the embedded synthetic data and a fresh
 * PKI into a work folder, then starts the coordinator and every site agent as separate OS processes that talk
 * mutual TLS over loopback, waits for the federation to finish, and prints the round table.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run a complete federation on this machine: coordinator + site agents as separate processes.")
public final class DemoCommand implements Callable<Integer> {

    private static final String MARKER = ".fedmil-demo";

    @Option(names = "--work", defaultValue = "demo-work", description = "work folder (recreated on each run; default ${DEFAULT-VALUE})")
    Path work;

    @Option(names = "--sites", defaultValue = "3", description = "number of site agents (default ${DEFAULT-VALUE})")
    int sites;

    @Option(names = "--rounds", defaultValue = "5", description = "training rounds (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--seed", defaultValue = "42", description = "seed of the synthetic data and the initial model")
    long seed;

    @Option(names = "--min-auc", defaultValue = "0.85", description = "exit non-zero unless the final held-out AUC reaches this (default ${DEFAULT-VALUE})")
    double minAuc;

    @Option(names = "--timeout-minutes", defaultValue = "10", description = "give up after this long (default ${DEFAULT-VALUE})")
    long timeoutMinutes;

    @Option(names = "--architecture", defaultValue = "attention", description = "attention, gated_attention, mean or max")
    String architecture;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        LocalFederation.prepareWorkFolder(work, MARKER, "demo");
        Path data = work.resolve("data");
        Path pki = work.resolve("pki");
        Path logs = Files.createDirectories(work.resolve("logs"));

        LocalFederation.step("demo", "synthetic data", "data", "synth", "--sites", String.valueOf(sites), "--out", data.toString(),
                "--seed", String.valueOf(seed));
        LocalFederation.step("demo", "consortium CA", "pki", "init", "--dir", pki.toString(), "--name", "FedMIL demo");
        LocalFederation.step("demo", "coordinator certificate", "pki", "issue", "coordinator", "--dir", pki.toString(), "--host", "localhost",
                "--host", "127.0.0.1");
        for (int i = 1; i <= sites; i++) {
            LocalFederation.step("demo", "site certificate", "pki", "issue", "site", siteName(i), "--dir", pki.toString());
        }
        int port = LocalFederation.freePort();
        Path coordinatorYaml = work.resolve("coordinator.yaml");
        Files.writeString(coordinatorYaml, coordinatorYaml(port), StandardCharsets.UTF_8);
        for (int i = 1; i <= sites; i++) {
            Files.writeString(work.resolve(siteName(i) + ".yaml"), siteYaml(i, port), StandardCharsets.UTF_8);
        }
        // Extract PyTorch's native libraries once, here, rather than in every child at the same moment.
        out.println("engine: " + Engine.getInstance().getEngineName() + " " + Engine.getInstance().getVersion()
                + ", default device " + Engine.getInstance().defaultDevice());

        List<Process> children = new ArrayList<>();
        Process coordinator = start(List.of("coordinator", "--config", coordinatorYaml.toString()), null);
        children.add(coordinator);
        try {
            for (int i = 1; i <= sites; i++) {
                children.add(start(List.of("site", "run", "--config", work.resolve(siteName(i) + ".yaml").toString()),
                        logs.resolve(siteName(i) + ".log")));
            }
            out.printf("started coordinator (pid %d) on 127.0.0.1:%d and %d site agents; site logs in %s%n",
                    coordinator.pid(), port, sites, logs);
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(timeoutMinutes);
            for (Process p : children) {
                long left = deadline - System.nanoTime();
                if (!p.waitFor(Math.max(1, left), TimeUnit.NANOSECONDS)) {
                    out.println("demo: timed out after " + timeoutMinutes + " minutes; see " + logs);
                    return 1;
                }
                if (p.exitValue() != 0) {
                    out.println("demo: process " + p.pid() + " exited with " + p.exitValue() + "; see " + logs);
                    return 1;
                }
            }
        } finally {
            for (Process p : children) {
                p.destroyForcibly();
            }
        }
        return report(work.resolve("coordinator-state").resolve("metrics.json"), (System.nanoTime() - t0) / 1e9);
    }

    private int report(Path metrics, double seconds) throws IOException {
        JsonNode rounds = new ObjectMapper().readTree(metrics.toFile());
        out.println();
        out.println("round  sites  held-out AUC  accuracy  seconds");
        double finalAuc = Double.NaN;
        for (JsonNode r : rounds) {
            JsonNode m = r.get("heldout");
            finalAuc = m.get("auc").asDouble();
            out.printf(Locale.ROOT, "%5d  %5d  %12.4f  %8.4f  %7.2f%n", r.get("round").asInt(), r.get("sites").size(),
                    finalAuc, m.get("accuracy").asDouble(), r.get("seconds").asDouble());
        }
        boolean ok = finalAuc >= minAuc;
        out.printf(Locale.ROOT, "%nfinal held-out AUC %.4f %s %.2f — demo %s in %.0f s (state: %s)%n", finalAuc,
                ok ? ">=" : "<", minAuc, ok ? "passed" : "FAILED", seconds, metrics.getParent());
        return ok ? 0 : 1;
    }

    private static Process start(List<String> args, Path log) throws IOException {
        return LocalFederation.start(args, log, "1g");
    }

    private String coordinatorYaml(int port) {
        Path pki = work.resolve("pki").toAbsolutePath();
        return """
                # written by fedmil demo; every key is documented in docs/configuration.md
                federation_id: demo
                listen:
                  host: 127.0.0.1
                  port: %d
                tls:
                  cert: %s
                  key: %s
                  ca: %s
                state_dir: coordinator-state
                heldout_dir: data/heldout
                min_sites: %d
                rounds: %d
                model:
                  architecture: %s
                  hidden_dim: 64
                  attention_dim: 32
                training:
                  local_epochs: 2
                  learning_rate: 0.002
                  weight_decay: 0.0
                  seed: %d
                device: auto
                """.formatted(port, pki.resolve("coordinator/cert.pem"), pki.resolve("coordinator/key.pem"),
                pki.resolve("coordinator/ca.pem"), sites, rounds, architecture, seed);
    }

    private String siteYaml(int i, int port) {
        Path dir = work.resolve("pki").resolve("sites").resolve(siteName(i)).toAbsolutePath();
        return """
                # written by fedmil demo; every key is documented in docs/configuration.md
                coordinator:
                  host: localhost
                  port: %d
                tls:
                  cert: %s
                  key: %s
                  ca: %s
                data_dir: data/%s
                state_dir: %s-state
                device: auto
                """.formatted(port, dir.resolve("cert.pem"), dir.resolve("key.pem"), dir.resolve("ca.pem"), siteName(i),
                siteName(i));
    }

    private static String siteName(int i) {
        return "site-" + i;
    }

}
