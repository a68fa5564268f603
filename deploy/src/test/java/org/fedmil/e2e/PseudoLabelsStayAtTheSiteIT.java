package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.Message;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.config.PseudoLabels;
import org.fedmil.coordinator.config.Evaluation;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.site.cli.SiteCommand;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.model.LocalModelStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A real loopback federation (mutual TLS, real agent) whose site holds unlabeled bags and is asked to pseudo-label
 * them: the pseudo-labelled bags join local training, yet nothing the site sends mentions them. The join's label
 * counts and every update's bag count are the labelled bags only, no unlabeled bag id is in any message or in the
 * egress log, and {@code fedmil site suggest} afterwards writes its ranking at the site without sending a byte.
 * The same run has the coordinator's evaluation section on (a last-2 ensemble), to check its wiring end to end.
 */
class PseudoLabelsStayAtTheSiteIT {

    @Test
    void pseudoLabelsAndSuggestionsNeverAppearInWhatTheSiteSends(@TempDir Path dir) throws Exception {
        Path data = TestFederation.synthetic(dir, 1, 60, 40);
        Path siteDir = data.resolve("site-1");
        // every third bag of the site loses its label, as a site with bags not yet labelled has them
        List<BagEntry> rows = BagDataset.readRows(siteDir);
        StringBuilder csv = new StringBuilder(BagDataset.HEADER + "\n");
        for (int i = 0; i < rows.size(); i++) {
            csv.append(rows.get(i).id()).append(',').append(i % 3 == 0 ? "" : String.valueOf(rows.get(i).label()))
                    .append('\n');
        }
        Files.writeString(siteDir.resolve(BagDataset.INDEX_FILE), csv.toString(), StandardCharsets.UTF_8);
        BagDataset site = BagDataset.load(siteDir);
        Set<String> unlabeledIds = site.unlabeled().stream().map(b -> b.id()).collect(Collectors.toSet());
        assertThat(unlabeledIds).hasSize(20);
        assertThat(site.size()).isEqualTo(40);

        WhatLeavesTheSiteIT.Recorder recorder = new WhatLeavesTheSiteIT.Recorder();
        try (TestFederation fed = new TestFederation(dir, data, 1, 3,
                new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null),
                new CoordinatorConfig.Training(2, 0.002, 0.0, 42L, null, null, null),
                c -> new CoordinatorConfig(c.federationId(), c.listen(), c.tls(), c.stateDir(), c.heldoutDir(),
                        c.minSites(), c.rounds(), c.model(), c.training(), c.device(), c.roundDeadlineSeconds(),
                        c.minUpdates(), c.onShortRound(), c.limits(), c.dashboard(), c.strategy(), c.pretraining(), false,
                        new Evaluation(null, 2, null), new PseudoLabels(0.7)),
                recorder)) {
            String console = fed.runSites(List.of("site-1"), new SiteConfig.Augmentation(false, false)).get(0);

            // the feature was at work: unlabeled bags joined training in some round
            assertThat(console).containsPattern("round \\d: \\d+ of 20 unlabeled bags joined training with "
                    + "pseudo-labels");

            JoinRequest join = (JoinRequest) recorder.of("Join").get(0);
            assertThat(join.getBagsPerLabelList().stream().mapToLong(c -> c.getBags()).sum())
                    .as("label counts at join: labelled bags only").isEqualTo(40);
            List<UpdateHeader> headers = new ArrayList<>();
            for (Message m : recorder.of("UploadUpdate")) {
                UpdateChunk chunk = (UpdateChunk) m;
                if (chunk.hasHeader()) {
                    headers.add(chunk.getHeader());
                }
            }
            assertThat(headers).hasSize(3).allSatisfy(h ->
                    assertThat(h.getNumTrainingBags()).as("round %d bag count", h.getRound()).isEqualTo(40));
            recorder.byMethod.values().forEach(ms -> ms.forEach(m ->
                    assertThat(m.getUnknownFields().asMap()).as(m.getClass().getSimpleName()).isEmpty()));
            for (List<Message> messages : recorder.byMethod.values()) {
                for (Message m : messages) {
                    String text = m.toByteString().toString(StandardCharsets.ISO_8859_1);
                    for (String id : unlabeledIds) {
                        assertThat(text).as("message %s", m.getClass().getSimpleName()).doesNotContain(id);
                    }
                }
            }
            Path egress = fed.stateDir("site-1").resolve("egress-log.jsonl");
            String logged = Files.readString(egress);
            java.util.regex.Matcher counts = java.util.regex.Pattern.compile("\"num_training_bags\"\\s*:\\s*(\\d+)")
                    .matcher(logged);
            List<Long> logCounts = new ArrayList<>();
            while (counts.find()) {
                logCounts.add(Long.parseLong(counts.group(1)));
            }
            assertThat(logCounts).as("bag counts the egress log records").isNotEmpty().containsOnly(40L);
            for (String id : unlabeledIds) {
                assertThat(logged).doesNotContain(id);
            }

            // suggest, after the federation: reads the model the agent kept, writes at the site, sends nothing
            Path model = LocalModelStore.globalModelFile(fed.stateDir("site-1"));
            Path out = fed.stateDir("site-1").resolve("suggest").resolve("suggestions.csv");
            StringWriter printed = new StringWriter();
            CommandLine cli = new CommandLine(new SiteCommand());
            cli.setOut(new PrintWriter(printed));
            assertThat(cli.execute("suggest", "--data", siteDir.toString(), "--model", model.toString(), "--out",
                    out.toString(), "--top", "5")).isZero();
            List<String> ranked = Files.readAllLines(out).stream().skip(1).map(l -> l.split(",")[1]).toList();
            assertThat(ranked).containsExactlyInAnyOrderElementsOf(unlabeledIds);
            assertThat(printed.toString()).contains("20 unlabeled bags", "nothing was sent");
            assertThat(Files.readString(egress)).as("the egress log after suggest").isEqualTo(logged);

            // the coordinator's evaluation section at work in the same run: a last-2 ensemble score per round
            var extraRows = org.fedmil.coordinator.state.StateStore.JSON.readTree(
                    dir.resolve("state").resolve(org.fedmil.coordinator.eval.EnsembleEvaluation.FILE).toFile());
            assertThat(extraRows).hasSize(4);
            assertThat(extraRows.get(3).path("last_rounds_models").asInt()).isEqualTo(2);
            assertThat(extraRows.get(3).path("auc").asDouble()).isEqualTo(fed.coordinator.run().history().get(3)
                    .heldout().auc());
            assertThat(fed.console()).contains("held-out extra, round 3: auc ", "last 2 models");
        }
    }
}
