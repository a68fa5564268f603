package org.fedmil.site.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code fedmil site}: what a hospital's IT runs. */
@Command(name = "site", mixinStandardHelpOptions = true,
        description = "Commands run at a hospital site.",
        subcommands = {SiteCommand.Run.class, ExplainCommand.class})
public final class SiteCommand {

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Dial the coordinator, train on the local bags each round, send only weight deltas.")
    static final class Run implements Callable<Integer> {

        @Option(names = "--config", required = true, description = "site.yaml (see docs/configuration.md)")
        Path config;

        @Override
        public Integer call() throws Exception {
            try (SiteAgent agent = new SiteAgent(SiteConfig.load(config), System.out)) {
                return agent.run();
            }
        }
    }
}
