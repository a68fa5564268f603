package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.Message;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.fedmil.audit.RoundLogVerifier;
import org.fedmil.cli.Fedmil;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.config.Pretraining;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.data.fmnist.FmnistBags;
import org.fedmil.mil.model.EncoderPart;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Federated self-supervised pretraining end to end: a coordinator with a pretraining section and real site agents
 * over mutual TLS on FMNIST tile bags run 2 pretraining rounds, then 2 supervised rounds from the pretrained encoder.
 * Every upload is recorded at the coordinator's gRPC server: in pretraining rounds it holds the encoder's tensors
 * and nothing else. The signed round log verifies.
 */
class PretrainingFederationIT {

    private static final int PRETRAINING_ROUNDS = 2;
    private static final int SUPERVISED_ROUNDS = 2;

    @Test
    void pretrainingRoundsSendEncoderDeltasOnlyThenSupervisedRoundsTrainTheWholeModelAndTheLogVerifies(
            @TempDir Path dir) throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(FmnistBags.DEFAULT_SOURCE), FmnistBags.DEFAULT_SOURCE + " is absent");
        Path data = dir.resolve("data");
        FmnistBags.generate(FmnistBags.Config.defaults().withSites(2).withBags(40, 30).withSeed(5)).writeTo(data);
        CoordinatorConfig.Model model = new CoordinatorConfig.Model("attention", "cnn", 16, 8, 28, 1);
        CoordinatorConfig.Training training = new CoordinatorConfig.Training(1, 1e-3, 0.0, 42L, null, null, null);
        Pretraining pretraining = new Pretraining(PRETRAINING_ROUNDS, 1, 1e-3,
                0.0, 32, 0.5, 16, 0.2, 2, 96);
        WhatLeavesTheSiteIT.Recorder recorder = new WhatLeavesTheSiteIT.Recorder();

        try (TestFederation fed = new TestFederation(dir, data, 2, SUPERVISED_ROUNDS, model, training,
                c -> c.withPretraining(pretraining), recorder)) {
            List<String> consoles = fed.runSites(List.of("site-1", "site-2"), new SiteConfig.Augmentation(false,
                    false));

            int total = PRETRAINING_ROUNDS + SUPERVISED_ROUNDS;
            List<RoundResult> history = fed.coordinator.run().history();
            assertThat(history).extracting(RoundResult::round)
                    .containsExactlyElementsOf(IntStream.rangeClosed(0, total).boxed().toList());
            assertThat(consoles).allSatisfy(c -> assertThat(c)
                    .contains("round 1: pretrained the encoder on the tiles of")
                    .contains("round 2: pretrained the encoder on the tiles of")
                    .contains("round 3: trained").contains("round 4: trained"));

            // what each upload carried, by round, as the coordinator received it
            Map<Integer, List<List<String>>> tensorsByRound = new TreeMap<>();
            for (Message m : recorder.of("UploadUpdate")) {
                UpdateChunk chunk = (UpdateChunk) m;
                if (chunk.hasHeader()) {
                    UpdateHeader h = chunk.getHeader();
                    tensorsByRound.computeIfAbsent(h.getRound(), r -> new java.util.ArrayList<>())
                            .add(Wire.fromProto(h.getTensorsList()).stream().map(TensorSpec::name).toList());
                }
            }
            assertThat(tensorsByRound).containsOnlyKeys(1, 2, 3, 4);
            Path state = dir.resolve("state");
            List<TensorSpec> all = fed.coordinator.run().currentModel().weights().specs();
            List<String> encoderNames = EncoderPart.specs(all).stream().map(TensorSpec::name).toList();
            List<String> allNames = all.stream().map(TensorSpec::name).toList();
            assertThat(encoderNames).isNotEmpty().hasSizeLessThan(allNames.size());
            for (int r = 1; r <= total; r++) {
                List<String> expected = r <= PRETRAINING_ROUNDS ? encoderNames : allNames;
                assertThat(tensorsByRound.get(r)).as("tensors uploaded in round " + r).hasSizeGreaterThanOrEqualTo(2)
                        .allSatisfy(names -> assertThat(names).containsExactlyElementsOf(expected));
            }

            // after pretraining the encoder has moved and pooling and classifier are the initial ones, bit for bit
            TensorSet initial = TensorCodec.decode(all, Files.readAllBytes(state.resolve("models/model-v0000.bin")));
            TensorSet pretrained = TensorCodec.decode(all, Files.readAllBytes(
                    state.resolve(String.format("models/model-v%04d.bin", PRETRAINING_ROUNDS))));
            for (NamedTensor t : initial.tensors()) {
                if (EncoderPart.isEncoder(t.name())) {
                    assertThat(pretrained.get(t.name()).values()).as(t.name()).isNotEqualTo(t.values());
                } else {
                    assertThat(pretrained.get(t.name()).values()).as(t.name()).containsExactly(t.values());
                }
            }

            // the signed round log verifies, names the pretraining rounds, and holds every update
            Path roundLog = state.resolve(Coordinator.ROUND_LOG);
            RoundLogVerifier.Verdict verdict = RoundLogVerifier.verify(roundLog, fed.ca.certificate());
            assertThat(verdict.ok()).as(verdict.problem()).isTrue();
            ObjectMapper json = new ObjectMapper();
            List<JsonNode> records = Files.readAllLines(roundLog).stream().map(l -> {
                try {
                    return json.readTree(l);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
            JsonNode created = records.get(0);
            assertThat(created.path("type").asText()).isEqualTo("federation_created");
            assertThat(created.toString()).contains("\"pretraining_rounds\":" + PRETRAINING_ROUNDS)
                    .contains("\"rounds\":" + total);
            Map<String, Long> types = records.stream().collect(Collectors.groupingBy(n -> n.path("type").asText(),
                    TreeMap::new, Collectors.counting()));
            assertThat(types).containsEntry("update_accepted", 2L * total).containsEntry("round_aggregated",
                    (long) total);
            StringWriter cliOut = new StringWriter();
            CommandLine cli = Fedmil.commandLine();
            cli.setOut(new PrintWriter(cliOut));
            assertThat(cli.execute("audit", "verify", roundLog.toString(), "--ca",
                    fed.ca.layout().caCert().toString())).as(cliOut.toString()).isZero();
        }
    }
}
