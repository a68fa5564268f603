package org.fedmil.coordinator.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fedmil.config.ConfigException;
import org.fedmil.config.ConfigFiles;
import org.fedmil.config.ConfigOverrides;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedmil coordinator}: runs the consortium's coordinator until the federation has finished. */
@Command(name = "coordinator", mixinStandardHelpOptions = true,
        description = "Run the coordinator: admit sites over mutual TLS, run the rounds, aggregate, evaluate.")
public final class CoordinatorCommand implements Callable<Integer> {

    @Option(names = "--config", required = true, description = "coordinator.yaml (see docs/configuration.md)")
    Path config;

    @Option(names = "--host", description = "bind this address instead of the config's listen.host")
    String host;

    @Option(names = "--port", description = "listen on this port instead of the config's listen.port")
    Integer port;

    @Option(names = "--state-dir", description = "use this state folder instead of the config's state_dir")
    Path stateDir;

    @Option(names = "--heldout-dir", description = "use this held-out set instead of the config's heldout_dir")
    Path heldoutDir;

    @Option(names = "--rounds", description = "run this many rounds instead of the config's rounds")
    Integer rounds;

    @Option(names = "--min-sites", description = "instead of the config's min_sites")
    Integer minSites;

    @Option(names = "--min-updates", description = "instead of the config's min_updates")
    Integer minUpdates;

    @Option(names = "--round-deadline-seconds", description = "instead of the config's round_deadline_seconds")
    Integer roundDeadlineSeconds;

    @Option(names = "--device", description = "instead of the config's device: auto, cpu, gpu or gpu(N)")
    String device;

    /** coordinator.yaml with the flags given in place of its values, checked as a file value would be. */
    public CoordinatorConfig effectiveConfig() {
        ConfigOverrides flags = ConfigOverrides.none()
                .set("listen.host", host, "--host")
                .set("listen.port", port, "--port")
                .set("state_dir", stateDir, "--state-dir")
                .set("heldout_dir", heldoutDir, "--heldout-dir")
                .set("rounds", rounds, "--rounds")
                .set("min_sites", minSites, "--min-sites")
                .set("min_updates", minUpdates, "--min-updates")
                .set("round_deadline_seconds", roundDeadlineSeconds, "--round-deadline-seconds")
                .set("device", device, "--device");
        try {
            return ConfigFiles.read(config, CoordinatorConfig.class, flags).resolvedAgainst(config);
        } catch (ConfigException e) {
            throw flags.explain(e);
        }
    }

    @Override
    public Integer call() throws Exception {
        try (Coordinator coordinator = new Coordinator(effectiveConfig(), System.out)) {
            // SIGTERM stops this process, not the federation: it resumes when the coordinator starts again
            // (fedmil admin abort is what ends a federation)
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    coordinator.shutDown();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "coordinator-shutdown"));
            coordinator.start();
            coordinator.awaitCompletion();
        }
        return 0;
    }
}
