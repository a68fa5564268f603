package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.fedmil.audit.ModelCard;
import org.fedmil.cli.Fedmil;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over mutual TLS: a federation that pins the pretrained encoder (model.feature_encoder_sha256) refuses at join the
 * site whose features another encoder computed, naming both hashes (the agent stops with exit code 4, no retries),
 * and trains with the site whose features.json names it. (A site's own policy pin is PolicyGuardEncoderTest's.)
 */
class FeatureEncoderPinIT {

    private static final String PINNED = "0a2b14b04b7786528f578a1c64284f671c0df6224fa623fac8182d75ba7e380d";
    private static final String OTHER = "3782e6db98eee6731802cd26ffe461d5326e3c7d59e46005e2c1e83c763da442";

    @TempDir
    Path dir;

    private record AgentRun(int exit, String console) {
    }

    private static void features(Path site, String sha) throws Exception {
        Files.writeString(site.resolve("features.json"), "{\"generator\": \"fedmil-features/1\", \"encoder_sha256\": \""
                + sha + "\"}");
    }

    private static AgentRun run(SiteConfig config) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (SiteAgent agent = new SiteAgent(config, new PrintStream(out, true, StandardCharsets.UTF_8))) {
            int exit = agent.run();
            return new AgentRun(exit, out.toString(StandardCharsets.UTF_8));
        }
    }

    @Test
    void onlySitesWhoseFeaturesThePinnedEncoderComputedTrain() throws Exception {
        Path data = TestFederation.synthetic(dir, 2, 30, 30);
        features(data.resolve("site-1"), PINNED);
        features(data.resolve("site-2"), OTHER);
        try (TestFederation fed = new TestFederation(dir, data, 1, 1,
                new CoordinatorConfig.Model("attention", "mlp", 16, 8, null, null, PINNED),
                new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null))) {
            AgentRun wrongEncoder = run(fed.siteConfig("site-2", fed.site("site-2")));
            assertThat(wrongEncoder.exit()).isEqualTo(SiteAgent.REFUSED);
            assertThat(wrongEncoder.console()).contains("not admitted", PINNED, OTHER, "fedmil data features");

            AgentRun admitted = run(fed.siteConfig("site-1", fed.site("site-1")));
            assertThat(admitted.exit()).as(admitted.console()).isZero();
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(30))).isTrue();

            // the signed model card of the finished federation names the encoder and verifies against the log
            Path state = fed.coordinator.store().dir();
            assertThat(Files.readString(state.resolve(ModelCard.MARKDOWN))).contains(PINNED, "| site-1 | 30 |",
                    "auc 95ci low", "Intended use", "Limits");
            Path ca = fed.site("site-1").ca();
            StringWriter out = new StringWriter();
            int rc = Fedmil.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(out)).execute("audit",
                    "verify", state.resolve(Coordinator.ROUND_LOG).toString(), "--ca", ca.toString(), "--head",
                    state.resolve(ModelCard.FILE).toString());
            assertThat(rc).as(out.toString()).isZero();
            assertThat(out.toString()).contains("model card", "OK");
            Path forged = dir.resolve("forged-card.json");
            Files.writeString(forged, Files.readString(state.resolve(ModelCard.FILE)).replace("site-1", "site-9"));
            StringWriter bad = new StringWriter();
            rc = Fedmil.commandLine().setOut(new PrintWriter(bad)).setErr(new PrintWriter(bad)).execute("audit",
                    "verify", state.resolve(Coordinator.ROUND_LOG).toString(), "--ca", ca.toString(), "--head",
                    forged.toString());
            assertThat(rc).as(bad.toString()).isEqualTo(1);
            assertThat(bad.toString()).contains("BAD_STATEMENT");
        }
    }
}
