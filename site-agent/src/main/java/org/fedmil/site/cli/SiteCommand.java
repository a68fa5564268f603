package org.fedmil.site.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fedmil.config.ConfigOverrides;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedmil site}: what a hospital's IT runs. */
@Command(name = "site", mixinStandardHelpOptions = true,
        description = "Commands run at a hospital site.",
        subcommands = {SiteCommand.Run.class, CheckCommand.class, ExplainCommand.class, SuggestCommand.class})
public final class SiteCommand {

    /** The flags that replace site.yaml values, shared by {@code run} and {@code check}. */
    static final class Overrides {

        @Option(names = "--data-dir", description = "use this data folder instead of site.yaml's data_dir")
        Path dataDir;

        @Option(names = "--state-dir", description = "use this state folder instead of site.yaml's state_dir")
        Path stateDir;

        @Option(names = "--coordinator", paramLabel = "HOST:PORT",
                description = "dial this coordinator instead of site.yaml's coordinator.host and .port")
        String coordinator;

        @Option(names = "--device", description = "instead of site.yaml's device: auto, cpu, gpu or gpu(N)")
        String device;

        ConfigOverrides toConfig() {
            ConfigOverrides o = ConfigOverrides.none()
                    .set("data_dir", dataDir, "--data-dir")
                    .set("state_dir", stateDir, "--state-dir")
                    .set("device", device, "--device");
            if (coordinator != null) {
                int colon = coordinator.lastIndexOf(':');
                if (colon <= 0 || colon == coordinator.length() - 1) {
                    throw new IllegalArgumentException("--coordinator '" + coordinator + "' is not HOST:PORT, "
                            + "e.g. fedmil.consortium.example.org:7443");
                }
                int port;
                try {
                    port = Integer.parseInt(coordinator.substring(colon + 1));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--coordinator '" + coordinator + "': the port after ':' is "
                            + "not a number; expected HOST:PORT, e.g. fedmil.consortium.example.org:7443", e);
                }
                o.set("coordinator.host", coordinator.substring(0, colon), "--coordinator")
                        .set("coordinator.port", port, "--coordinator");
            }
            return o;
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Dial the coordinator, train on the local bags each round, send only weight deltas.")
    static final class Run implements Callable<Integer> {

        @Option(names = "--config", required = true, description = "site.yaml (see docs/configuration.md)")
        Path config;

        @picocli.CommandLine.Mixin
        Overrides overrides = new Overrides();

        /** site.yaml with the flags given in place of its values. */
        SiteConfig effectiveConfig() {
            return SiteConfig.load(config, overrides.toConfig());
        }

        @Override
        public Integer call() throws Exception {
            try (SiteAgent agent = new SiteAgent(effectiveConfig(), System.out)) {
                return agent.run();
            }
        }
    }
}
