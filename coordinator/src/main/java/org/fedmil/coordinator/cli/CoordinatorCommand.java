package org.fedmil.coordinator.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
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

    @Option(names = "--port", description = "listen on this port instead of the config's listen.port")
    Integer port;

    @Override
    public Integer call() throws Exception {
        CoordinatorConfig c = CoordinatorConfig.load(config);
        if (port != null) {
            c = c.withPort(port);
        }
        try (Coordinator coordinator = new Coordinator(c, System.out)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> coordinator.run().abort("coordinator was shut down")));
            coordinator.start();
            coordinator.awaitCompletion();
        }
        return 0;
    }
}
