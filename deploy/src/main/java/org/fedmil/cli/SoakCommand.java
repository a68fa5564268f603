package org.fedmil.cli;

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
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.fedmil.util.Sha256;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fedmil soak}: a federation of real processes (a coordinator and N site agents over mutual TLS on
 * loopback) run to the end while random sites and the coordinator itself are SIGKILLed and started again. It
 * then checks the state folder: every round recorded exactly once, every model file intact, the final model
 * evaluated; and reports rounds, faults injected, refusals by kind and data lost. Outside the test suite: it
 * takes minutes.
 */
@Command(name = "soak", mixinStandardHelpOptions = true,
        description = "Run a federation of real processes while killing and restarting sites and the coordinator; check nothing was lost.")
public final class SoakCommand implements Callable<Integer> {

    private static final String MARKER = ".fedmil-soak";

    @Option(names = "--work", defaultValue = "soak-work", description = "work folder (recreated on each run; default ${DEFAULT-VALUE})")
    Path work;

    @Option(names = "--sites", defaultValue = "4", description = "site agents (default ${DEFAULT-VALUE})")
    int sites;

    @Option(names = "--rounds", defaultValue = "30", description = "training rounds (default ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--seed", defaultValue = "1", description = "seeds the data and the choice and timing of faults")
    long seed;

    @Option(names = "--fault-every", defaultValue = "6", description = "mean seconds between faults (default ${DEFAULT-VALUE})")
    double faultEvery;

    @Option(names = "--coordinator-share", defaultValue = "0.25", description = "share of faults that kill the coordinator (default ${DEFAULT-VALUE})")
    double coordinatorShare;

    @Option(names = "--faults-from-round", defaultValue = "1", description = "inject faults once this many rounds are recorded (default ${DEFAULT-VALUE})")
    int faultsFromRound;

    @Option(names = "--deadline", defaultValue = "30", description = "round_deadline_seconds (default ${DEFAULT-VALUE})")
    int deadline;

    @Option(names = "--timeout-minutes", defaultValue = "60", description = "give up after this long (default ${DEFAULT-VALUE})")
    int timeoutMinutes;

    private final PrintStream out = System.out;

    @Override
    public Integer call() throws Exception {
        long t0 = System.nanoTime();
        LocalFederation.prepareWorkFolder(work, MARKER, "soak");
        Path pki = work.resolve("pki");
        Path logs = Files.createDirectories(work.resolve("logs"));
        LocalFederation.step("soak", "synthetic data", "data", "synth", "--sites", String.valueOf(sites), "--out", work.resolve("data").toString(),
                "--seed", String.valueOf(seed));
        LocalFederation.step("soak", "consortium CA", "pki", "init", "--dir", pki.toString(), "--name", "FedMIL soak");
        LocalFederation.step("soak", "coordinator certificate", "pki", "issue", "coordinator", "--dir", pki.toString(), "--host", "localhost",
                "--host", "127.0.0.1");
        for (int i = 1; i <= sites; i++) {
            LocalFederation.step("soak", "site certificate", "pki", "issue", "site", "site-" + i, "--dir", pki.toString());
        }
        int port = LocalFederation.freePort();
        Path coordinatorYaml = work.resolve("coordinator.yaml");
        Files.writeString(coordinatorYaml, coordinatorYaml(port), StandardCharsets.UTF_8);
        for (int i = 1; i <= sites; i++) {
            Files.writeString(work.resolve("site-" + i + ".yaml"), siteYaml(i, port), StandardCharsets.UTF_8);
        }

        Random random = new Random(seed);
        Map<String, Integer> faults = new TreeMap<>();
        int coordinatorRuns = 1;
        Process coordinator = start(List.of("coordinator", "--config", coordinatorYaml.toString()),
                logs.resolve("coordinator-1.log"));
        Process[] siteProcs = new Process[sites];
        int[] siteRuns = new int[sites];
        Path metrics = work.resolve("coordinator-state/metrics.json");
        try {
            for (int i = 0; i < sites; i++) {
                siteProcs[i] = startSite(i, ++siteRuns[i], logs);
            }
            long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(timeoutMinutes);
            long nextFault = System.nanoTime() + nextGap(random);
            while (coordinator.isAlive() || !coordinatorFinished(logs, coordinatorRuns)) {
                if (System.nanoTime() > end) {
                    out.println("soak: timed out after " + timeoutMinutes + " minutes; see " + logs);
                    return 1;
                }
                if (!coordinator.isAlive()) {
                    // it died on its own, not by our hand: that is a failure to report, but keep the run going
                    out.printf("soak: coordinator exited with %d unasked; restarting it%n", coordinator.exitValue());
                    faults.merge("coordinator died unasked", 1, Integer::sum);
                    coordinator = start(List.of("coordinator", "--config", coordinatorYaml.toString()),
                            logs.resolve("coordinator-" + (++coordinatorRuns) + ".log"));
                }
                // faults only while training rounds remain: the end (site evaluation, stop) is left alone
                int recordedRounds = completedRounds(metrics);
                boolean training = recordedRounds > faultsFromRound && recordedRounds <= rounds;
                if (training && System.nanoTime() > nextFault) {
                    if (random.nextDouble() < coordinatorShare) {
                        String when = phaseNow();
                        coordinator.destroyForcibly().waitFor();
                        faults.merge("coordinator SIGKILL " + when, 1, Integer::sum);
                        out.printf(Locale.ROOT, "soak: killed the coordinator with %d rounds recorded%n", completedRounds(metrics));
                        Thread.sleep(500 + random.nextInt(2000));
                        coordinator = start(List.of("coordinator", "--config", coordinatorYaml.toString()),
                                logs.resolve("coordinator-" + (++coordinatorRuns) + ".log"));
                    } else {
                        int i = random.nextInt(sites);
                        String when = phaseNow();
                        siteProcs[i].destroyForcibly().waitFor();
                        faults.merge("site SIGKILL " + when, 1, Integer::sum);
                        out.printf(Locale.ROOT, "soak: killed site-%d with %d rounds recorded%n", i + 1, completedRounds(metrics));
                        Thread.sleep(500 + random.nextInt(2500));
                        siteProcs[i] = startSite(i, ++siteRuns[i], logs);
                    }
                    nextFault = System.nanoTime() + nextGap(random);
                }
                // a site that exited early (e.g. its coordinator was away longer than its patience) comes back
                for (int i = 0; i < sites; i++) {
                    if (!siteProcs[i].isAlive() && siteProcs[i].exitValue() != 0 && coordinator.isAlive()) {
                        faults.merge("site exited unasked (restarted)", 1, Integer::sum);
                        siteProcs[i] = startSite(i, ++siteRuns[i], logs);
                    }
                }
                Thread.sleep(100);
            }
            for (Process p : siteProcs) {
                p.waitFor(2, TimeUnit.MINUTES);
            }
        } finally {
            coordinator.destroyForcibly();
            for (Process p : siteProcs) {
                if (p != null) {
                    p.destroyForcibly();
                }
            }
        }
        return report(faults, coordinatorRuns, (System.nanoTime() - t0) / 1e9);
    }

    /** Where the federation is, from state.json: "in training (2 updates in)", "in aggregating", … */
    private String phaseNow() {
        try {
            JsonNode state = new ObjectMapper().readTree(work.resolve("coordinator-state/state.json").toFile());
            String phase = state.path("phase").asText().toLowerCase(Locale.ROOT).replace('_', ' ');
            return phase.equals("training") ? "in training (" + state.path("submitted").size() + " updates in)"
                    : "in " + phase;
        } catch (IOException e) {
            return "before state.json";
        }
    }

    private long nextGap(Random random) {
        // exponential gaps: faults at random instants, unrelated to the rounds' rhythm
        return (long) (-Math.log(1 - random.nextDouble()) * faultEvery * 1e9);
    }

    private static boolean coordinatorFinished(Path logs, int run) throws IOException {
        Path log = logs.resolve("coordinator-" + run + ".log");
        return Files.exists(log) && Files.readString(log).contains("federation finished: all");
    }

    private static int completedRounds(Path metrics) {
        try {
            return Files.exists(metrics) ? new ObjectMapper().readTree(metrics.toFile()).size() : 0;
        } catch (IOException e) {
            return 0; // read while being replaced on some platforms; ask again next time
        }
    }

    private int report(Map<String, Integer> faults, int coordinatorRuns, double seconds) throws IOException {
        Path state = work.resolve("coordinator-state");
        ObjectMapper json = new ObjectMapper();
        JsonNode metrics = json.readTree(state.resolve("metrics.json").toFile());
        List<Integer> recorded = new ArrayList<>();
        int badModels = 0;
        for (JsonNode r : metrics) {
            recorded.add(r.get("round").asInt());
            Path bin = state.resolve("models").resolve(String.format("model-v%04d.bin", r.get("model_version").asLong()));
            if (!Files.exists(bin) || !Sha256.hex(Sha256.of(Files.readAllBytes(bin))).equals(r.get("model_sha256").asText())) {
                badModels++;
            }
        }
        List<Integer> skipped = new ArrayList<>();
        for (JsonNode n : json.readTree(state.resolve("state.json").toFile()).path("skipped_rounds")) {
            skipped.add(n.asInt());
        }
        int missing = 0;
        int duplicated = 0;
        for (int r = 0; r <= rounds; r++) {
            int round = r;
            long n = recorded.stream().filter(x -> x == round).count();
            if (n == 0 && skipped.stream().noneMatch(s -> s == round)) {
                missing++;
            }
            duplicated += n > 1 ? (int) (n - 1) : 0;
        }
        Map<String, Integer> refusals = new TreeMap<>();
        Path refusalsFile = state.resolve("refusals.json");
        if (Files.exists(refusalsFile)) {
            for (JsonNode r : json.readTree(refusalsFile.toFile())) {
                refusals.merge(r.get("kind").asText(), 1, Integer::sum);
            }
        }
        int shortRounds = 0;
        int resumed = 0;
        for (int i = 1; i <= coordinatorRuns; i++) {
            String log = Files.readString(work.resolve("logs").resolve("coordinator-" + i + ".log"));
            shortRounds += log.split("reached its deadline with", -1).length - 1;
            resumed += log.contains("resumed from") ? 1 : 0;
        }
        long finalVersion = metrics.get(metrics.size() - 1).get("model_version").asLong();
        int finalEvaluations = 0;
        Path evaluations = state.resolve("evaluations.json");
        if (Files.exists(evaluations)) {
            for (JsonNode e : json.readTree(evaluations.toFile())) {
                finalEvaluations += e.get("model_version").asLong() == finalVersion ? 1 : 0;
            }
        }
        JsonNode last = metrics.get(metrics.size() - 1);
        int lost = missing + duplicated + badModels;
        boolean ok = lost == 0 && finalEvaluations > 0 && (recorded.contains(rounds) || skipped.contains(rounds));

        out.println();
        out.printf(Locale.ROOT, "soak: %d sites, %d rounds, seed %d, %.0f s%n", sites, rounds, seed, seconds);
        out.printf("rounds completed (in metrics.json): %d of %d (+ round 0); skipped: %s; short-round deadlines: %d%n",
                recorded.size() - 1, rounds, skipped, shortRounds);
        out.printf("faults injected: %s; coordinator runs: %d (%d resumed from the state folder)%n", faults,
                coordinatorRuns, resumed);
        out.printf("updates refused by kind: %s%n", refusals.isEmpty() ? "none" : refusals);
        out.printf("rounds missing: %d, recorded twice: %d, model files missing or not matching their SHA-256: %d%n",
                missing, duplicated, badModels);
        out.printf(Locale.ROOT, "final model v%d: held-out AUC %.4f; evaluated by %d site(s) on their own bags%n",
                finalVersion, last.get("heldout").get("auc").asDouble(), finalEvaluations);
        out.printf("data lost: %d — soak %s (state: %s)%n", lost, ok ? "passed" : "FAILED", state);
        return ok ? 0 : 1;
    }

    private Process startSite(int i, int run, Path logs) throws IOException {
        return start(List.of("site", "run", "--config", work.resolve("site-" + (i + 1) + ".yaml").toString()),
                logs.resolve("site-" + (i + 1) + "-" + run + ".log"));
    }

    private static Process start(List<String> args, Path log) throws IOException {
        return LocalFederation.start(args, log, "512m");
    }

    private String coordinatorYaml(int port) {
        Path pki = work.resolve("pki").toAbsolutePath();
        // a tiny model, so that a round takes about a second and faults land in every phase of it
        return """
                # written by fedmil soak; every key is documented in docs/configuration.md
                federation_id: soak
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
                min_updates: %d
                round_deadline_seconds: %d
                on_short_round: retry
                rounds: %d
                model:
                  hidden_dim: 8
                  attention_dim: 4
                training:
                  local_epochs: 1
                  learning_rate: 0.005
                  seed: %d
                """.formatted(port, pki.resolve("coordinator/cert.pem"), pki.resolve("coordinator/key.pem"),
                pki.resolve("coordinator/ca.pem"), sites, Math.max(1, sites / 2), deadline, rounds, seed);
    }

    private String siteYaml(int i, int port) {
        Path dir = work.resolve("pki").resolve("sites").resolve("site-" + i).toAbsolutePath();
        return """
                # written by fedmil soak; every key is documented in docs/configuration.md
                coordinator:
                  host: localhost
                  port: %d
                tls:
                  cert: %s
                  key: %s
                  ca: %s
                data_dir: data/site-%d
                state_dir: site-%d-state
                poll_wait_ms: 2000
                connect_timeout_seconds: 300
                """.formatted(port, dir.resolve("cert.pem"), dir.resolve("key.pem"), dir.resolve("ca.pem"), i, i);
    }

}
