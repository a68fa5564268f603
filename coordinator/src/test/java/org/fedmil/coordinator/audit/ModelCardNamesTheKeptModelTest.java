package org.fedmil.coordinator.audit;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fedmil.audit.ModelCard;
import org.fedmil.audit.RoundLog;
import org.fedmil.audit.SignedStatement;
import org.fedmil.coordinator.aggregate.FedAvg;
import org.fedmil.coordinator.round.AllListeners;
import org.fedmil.coordinator.round.FederationPlan;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.IncomingUpdate;
import org.fedmil.coordinator.round.ModelChoice;
import org.fedmil.coordinator.round.RoundListener;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.Task;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.mil.eval.ValidationCriterion;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.mil.train.OptimizerConfig;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The model card names the federation's result: the model validation kept (selected-model.json's choice), with its
 * held-out metrics, and the last model beside it when that is another one; without validation, the last model.
 * A real run, round log and audit trail; the card is read back from its signed file.
 */
class ModelCardNamesTheKeptModelTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private static TensorSet weights(float a) {
        return new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, -a})));
    }

    /** Runs 3 rounds whose sites validate the round's starting model with these losses (negative: none). */
    private JsonNode cardAfter(double[] validationLosses, List<RoundResult> rounds) throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", Duration.ofDays(2));
        PartyCredentials c = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(1));
        FederationPlan plan = new FederationPlan("card", 1, 3, SPEC,
                new FederationPlan.TrainingPlan(1, 0.1, 0, 7, LossConfig.DEFAULT, null, 0,
                        org.fedmil.tensor.DeltaEncoding.FLOAT32, OptimizerConfig.ADAM, 1,
                        LearningRateSchedule.CONSTANT), false);
        int[] evaluations = {0};
        try (RoundLog log = RoundLog.open(dir.resolve("round-log.jsonl"), PemFiles.readPrivateKey(c.key()),
                PemFiles.readCertificate(c.cert()))) {
            AuditTrail audit = new AuditTrail(log);
            audit.opened(plan, false, 1);
            audit.keptModel(() -> ModelChoice.best(rounds, Optional.empty(), ValidationCriterion.LOSS), "loss",
                    () -> rounds);
            RoundListener history = new RoundListener() {
                @Override
                public void roundCompleted(RoundResult result, GlobalModel model) {
                    rounds.add(result);
                }
            };
            try (FederationRun fed = new FederationRun(plan, GlobalModel.of(0, SPEC, weights(1f)), w -> {
                float p = 0.55f + 0.1f * evaluations[0]++;
                return BinaryMetrics.of(new int[] {0, 1}, new float[] {1 - p, p});
            }, new FedAvg(), new AllListeners(List.of(history, audit)))) {
                fed.start();
                fed.join("a", new SiteJoin("test", "cpu()", Map.of(0, 3L, 1, 2L)));
                for (int r = 1; r <= 3; r++) {
                    Task.Train t = (Task.Train) fed.nextTask("a", Duration.ZERO);
                    TensorSet delta = weights(0.01f);
                    byte[] bytes = TensorCodec.encode(delta);
                    IncomingUpdate u = new IncomingUpdate(r, t.model().version(), Sha256.of(bytes), 5, 0.5,
                            delta.specs(), bytes);
                    double v = validationLosses[r - 1];
                    fed.submit("a", v < 0 ? u
                            : u.withValidation(new ValidationMetrics(3, 2, v, OptionalDouble.empty())));
                    assertThat(fed.awaitModelVersion(r, Duration.ofSeconds(10))).isTrue();
                }
                assertThat(fed.awaitFinished(Duration.ofSeconds(10))).isTrue();
            }
        }
        SignedStatement signed = SignedStatement.read(dir.resolve(ModelCard.FILE));
        assertThat(signed.problem(PemFiles.readCertificate(c.cert()).getPublicKey(), "coordinator")).isNull();
        return JSON.readTree(signed.statement());
    }

    @Test
    void theCardNamesTheModelValidationKeptWithItsHeldOutMetricsAndTheLastModelBesideIt() throws Exception {
        List<RoundResult> rounds = new CopyOnWriteArrayList<>();
        // rounds 1..3 validate models v0, v1, v2: v1 is best, v3 (the last) is never validated
        JsonNode card = cardAfter(new double[] {0.5, 0.3, 0.6}, rounds);

        assertThat(card.path("model_version").asLong()).isEqualTo(1);
        assertThat(card.path("model_round").asInt()).isEqualTo(1);
        assertThat(card.path("model_sha256").asText()).isEqualTo(rounds.get(1).modelSha256());
        assertThat(card.path("chosen_by").asText()).contains("lowest federated loss", "validation");
        assertThat(card.path("validation").path("loss").asDouble()).isEqualTo(0.3);
        assertThat(card.path("heldout").path("loss").asDouble()).isEqualTo(rounds.get(1).heldout().loss());
        assertThat(card.path("last_model_version").asLong()).isEqualTo(3);
        assertThat(card.path("last_model_sha256").asText()).isEqualTo(rounds.get(3).modelSha256());
        assertThat(card.path("last_heldout").path("loss").asDouble()).isEqualTo(rounds.get(3).heldout().loss());
        String md = Files.readString(dir.resolve(ModelCard.MARKDOWN));
        assertThat(md).contains("Held-out metrics of the model kept (v1)", "Held-out metrics of the last model (v3, "
                + "not kept)", "| model version | 1 |", "| last model version | 3 |");
    }

    @Test
    void withoutValidationTheCardNamesTheLastModel() throws Exception {
        List<RoundResult> rounds = new CopyOnWriteArrayList<>();
        JsonNode card = cardAfter(new double[] {-1, -1, -1}, rounds);

        assertThat(card.path("model_version").asLong()).isEqualTo(3);
        assertThat(card.path("model_sha256").asText()).isEqualTo(rounds.get(3).modelSha256());
        assertThat(card.path("chosen_by").asText()).contains("the last model");
        assertThat(card.has("last_model_version")).isFalse();
        assertThat(Files.readString(dir.resolve(ModelCard.MARKDOWN))).contains("Held-out metrics of the model kept (v3)")
                .doesNotContain("last model (v");
    }
}
