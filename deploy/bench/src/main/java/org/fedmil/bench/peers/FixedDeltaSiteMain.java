package org.fedmil.bench.peers;

import java.nio.file.Path;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;

/**
 * A real site agent (mutual TLS, egress log, outbound filters, signed uploads) whose local training is
 * {@link FixedDeltaTrainer}: the FedMIL side of {@code bench peers} in its overhead-only mode. Args: site.yaml.
 */
public final class FixedDeltaSiteMain {

    private FixedDeltaSiteMain() {
    }

    public static void main(String[] args) throws Exception {
        SiteConfig config = SiteConfig.load(Path.of(args[0]));
        int rc;
        try (SiteAgent agent = new SiteAgent(config, System.out, FixedDeltaTrainer::new)) {
            rc = agent.run();
        }
        System.exit(rc);
    }
}
