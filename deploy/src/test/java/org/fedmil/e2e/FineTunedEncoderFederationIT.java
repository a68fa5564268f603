package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.function.UnaryOperator;
import javax.imageio.ImageIO;
import org.fedmil.audit.ModelCard;
import org.fedmil.cli.Fedmil;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.config.EncoderFineTuneSection;
import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.mil.encoder.TorchScriptEncoder;
import org.fedmil.mil.encoder.TrainableTorchScript;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.model.LocalModelStore;
import org.fedmil.site.predict.PredictionFiles;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Over mutual TLS: a federation that fine-tunes the last block of a TorchScript encoder (encoder_fine_tune) with the
 * attention-MIL head. Two sites train head and block on their tiles for two rounds; the final model's block differs
 * from the encoder file's, the coordinator keeps it in its model files and states it on the model card, and
 * {@code fedmil predict} scores through the fine-tuned block (another block gives other scores). Bad input: an
 * encoder that is not TorchScript or has no such block stops the coordinator at start; a site with another encoder
 * file, or none, is refused at join.
 */
class FineTunedEncoderFederationIT {

    /** stem (conv 3→4) then block (conv 4→8): made by common/mil/src/test/resources/encoders/make_encoders.py. */
    private static final Path ENCODER = Path.of("../common/mil/src/test/resources/encoders/two-block-encoder.pt")
            .toAbsolutePath().normalize();
    private static final Path OTHER_ENCODER = Path.of("../common/mil/src/test/resources/encoders/tiny-encoder.pt")
            .toAbsolutePath().normalize();
    private static final String BLOCK_WEIGHT = MilModel.BACKBONE_PREFIX + "block.0.weight";
    private static final String BLOCK_BIAS = MilModel.BACKBONE_PREFIX + "block.0.bias";
    /** The DP test's clip norm: well below what the block alone moves in round 1 without DP (checked below). */
    private static final double DP_CLIP = 0.01;

    @TempDir
    Path dir;

    /** {@code bags} bags of 3 random 16×16 RGB tiles; an odd bag (positive) has a red square in its first tile. */
    private static void tiles(Path folder, int bags, long seed) throws Exception {
        Random rng = new Random(seed);
        StringBuilder csv = new StringBuilder("bag_id,label\n");
        for (int b = 0; b < bags; b++) {
            Path bag = Files.createDirectories(folder.resolve("tiles/bag" + b));
            for (int t = 0; t < 3; t++) {
                BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
                for (int y = 0; y < 16; y++) {
                    for (int x = 0; x < 16; x++) {
                        boolean red = b % 2 == 1 && t == 0 && x > 3 && x < 12 && y > 3 && y < 12;
                        img.setRGB(x, y, red ? 0xff0000 : rng.nextInt(0x1000000));
                    }
                }
                ImageIO.write(img, "png", bag.resolve("t" + t + ".png").toFile());
            }
            csv.append("bag").append(b).append(',').append(b % 2).append('\n');
        }
        Files.writeString(folder.resolve("bags.csv"), csv);
    }

    private Path data() throws Exception {
        Path data = dir.resolve("data");
        tiles(data.resolve("site-1"), 8, 1);
        tiles(data.resolve("site-2"), 8, 2);
        tiles(data.resolve("heldout"), 6, 3);
        return data;
    }

    private static UnaryOperator<CoordinatorConfig> fineTuning(Path encoder, String prefix) {
        return c -> c.withEncoderFineTune(new EncoderFineTuneSection("last_block", encoder, prefix, 16, 3, null));
    }

    private TestFederation federation(Path data, int sites, int rounds, UnaryOperator<CoordinatorConfig> tweak)
            throws Exception {
        return federation(data, sites, rounds, null, tweak);
    }

    private TestFederation federation(Path data, int sites, int rounds, CoordinatorConfig.Dp dp,
                                      UnaryOperator<CoordinatorConfig> tweak) throws Exception {
        return new TestFederation(dir, data, sites, rounds, new CoordinatorConfig.Model("attention", "mlp", 8, 4,
                null, null), new CoordinatorConfig.Training(1, 0.05, 0.0, 42L, null, null, null, dp), tweak);
    }

    /** The L2 norm of the block's step from global model v0 to v1 (weight and bias). */
    private static double blockStep(TestFederation fed, List<org.fedmil.tensor.TensorSpec> specs) {
        TensorSet v0 = fed.coordinator.store().model(0, specs).orElseThrow();
        TensorSet v1 = fed.coordinator.store().model(1, specs).orElseThrow();
        double sum = 0;
        for (String name : List.of(BLOCK_WEIGHT, BLOCK_BIAS)) {
            float[] a = v0.get(name).values();
            float[] b = v1.get(name).values();
            for (int i = 0; i < a.length; i++) {
                sum += (double) (b[i] - a[i]) * (b[i] - a[i]);
            }
        }
        return Math.sqrt(sum);
    }

    private static String fedmil(String... args) {
        StringWriter text = new StringWriter();
        int rc = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text)).execute(args);
        assertThat(rc).as(String.join(" ", args) + "\n" + text).isZero();
        return text.toString();
    }

    private static float[] baseBlockWeight() {
        FineTunedBlock block = new FineTunedBlock(TorchScriptEncoder.sha256(ENCODER), "block.",
                new org.fedmil.mil.data.TileFormat(3, 16), org.fedmil.mil.encoder.TileNormalisation.IMAGENET);
        try (TrainableTorchScript encoder = block.load(ENCODER, Device.cpu())) {
            return encoder.trainable().get("block.0.weight").getArray().toFloatArray();
        }
    }

    /** Probabilities in bags.csv order from predict's predictions.csv. */
    private List<Double> predict(Path model, Path data, String out) throws Exception {
        Path to = dir.resolve(out);
        fedmil("predict", "--data", data.toString(), "--model", model.toString(), "--encoder", ENCODER.toString(),
                "--threshold", "0.5", "--out", to.toString());
        List<Double> p = new ArrayList<>();
        for (String row : Files.readAllLines(to.resolve(PredictionFiles.PREDICTIONS)).subList(1, 7)) {
            p.add(Double.parseDouble(row.split(",")[2]));
        }
        return p;
    }

    @Test
    void twoSitesFineTuneTheEncodersLastBlockAndPredictScoresThroughTheFineTunedBlock() throws Exception {
        Path data = data();
        String sha = TorchScriptEncoder.sha256(ENCODER);
        try (TestFederation fed = federation(data, 2, 2, fineTuning(ENCODER, null))) {
            fed.siteEncoder = ENCODER;
            List<String> consoles = fed.runSites(List.of("site-1", "site-2"), new SiteConfig.Augmentation(false,
                    false));
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(30))).isTrue();
            assertThat(fed.console()).contains("encoder fine-tuning: block 'block.' of encoder " + sha);
            assertThat(consoles.get(0)).contains("fine-tunes block 'block.' of encoder " + sha,
                    "site site-1 round 2: trained");

            // the coordinator's global model files hold the block's tensors beside the head's
            Path state = fed.coordinator.store().dir();
            assertThat(Files.readString(state.resolve("models/model-v0002.json"))).contains(BLOCK_WEIGHT,
                    "classifier.weight");
            assertThat(Files.readString(state.resolve(ModelCard.FILE))).contains(ModelCard.ENCODER_FINE_TUNED,
                    "block 'block.' of the base encoder with SHA-256 " + sha);
            assertThat(Files.readString(state.resolve(ModelCard.MARKDOWN))).contains("encoder fine tuned");
            String verified = fedmil("audit", "verify", state.resolve(org.fedmil.coordinator.Coordinator.ROUND_LOG)
                    .toString(), "--ca", fed.site("site-1").ca().toString(), "--head",
                    state.resolve(ModelCard.FILE).toString());
            assertThat(verified).contains("model card", "OK");

            // the site keeps the final model with its block, which two rounds moved away from the file's values
            Path kept = LocalModelStore.globalModelFile(fed.stateDir("site-1"));
            ModelFile finalModel = ModelFile.read(kept);
            assertThat(finalModel.metadata()).containsEntry("model_version", "2");
            assertThat(finalModel.fineTunedBlock()).hasValueSatisfying(b -> {
                assertThat(b.encoderSha256()).isEqualTo(sha);
                assertThat(b.trainablePrefix()).isEqualTo("block.");
            });
            float[] base = baseBlockWeight();
            float[] tuned = finalModel.weights().get(BLOCK_WEIGHT).values();
            assertThat(tuned).hasSameSizeAs(base);
            double moved = 0;
            for (int i = 0; i < base.length; i++) {
                moved = Math.max(moved, Math.abs(tuned[i] - base[i]));
            }
            assertThat(moved).as("largest change of a block weight over 2 rounds").isGreaterThan(1e-4);
            assertThat(blockStep(fed, finalModel.weights().specs())).as("the block's own step in round 1, without DP")
                    .isGreaterThan(2 * DP_CLIP);

            // predict applies the model file's block: the same head over the encoder's own block scores otherwise
            List<NamedTensor> withBase = new ArrayList<>();
            for (NamedTensor t : finalModel.weights().tensors()) {
                withBase.add(t.name().equals(BLOCK_WEIGHT) ? new NamedTensor(t.name(), t.shape(), base) : t);
            }
            Path baseModel = dir.resolve("base-block.fedmil");
            ModelFile.write(baseModel, finalModel.spec(), new TensorSet(withBase), finalModel.metadata());
            List<Double> fineTuned = predict(kept, data.resolve("heldout"), "predict-tuned");
            List<Double> original = predict(baseModel, data.resolve("heldout"), "predict-base");
            double differs = 0;
            for (int i = 0; i < fineTuned.size(); i++) {
                differs = Math.max(differs, Math.abs(fineTuned.get(i) - original.get(i)));
            }
            assertThat(differs).as("largest difference of a bag's probability, fine-tuned vs base block")
                    .isGreaterThan(1e-6);
        }
    }

    /**
     * Site-level DP clips each site's whole delta, the block's tensors with the head's, and the coordinator's norm
     * check sees the whole delta too: each accepted update's L2 norm (as the round log records it) is within the
     * clip plus the noise, although the block alone steps further than the clip without DP (the test above).
     */
    @Test
    void underSiteDpTheClipBoundsTheWholeUpdateTheBlockIncluded() throws Exception {
        Path data = data();
        double sigma = 0.001;
        try (TestFederation fed = federation(data, 2, 1, new CoordinatorConfig.Dp(DP_CLIP, sigma),
                fineTuning(ENCODER, null))) {
            fed.siteEncoder = ENCODER;
            fed.runSites(List.of("site-1", "site-2"), new SiteConfig.Augmentation(false, false));
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(30))).isTrue();

            Path state = fed.coordinator.store().dir();
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            List<Double> norms = new ArrayList<>();
            for (String line : Files.readAllLines(state.resolve(org.fedmil.coordinator.Coordinator.ROUND_LOG))) {
                com.fasterxml.jackson.databind.JsonNode r = json.readTree(line);
                if ("update_accepted".equals(r.path("type").asText())) {
                    norms.add(r.path("l2_norm").asDouble());
                }
            }
            ModelFile finalModel = ModelFile.read(LocalModelStore.globalModelFile(fed.stateDir("site-1")));
            int values = finalModel.weights().tensors().stream().mapToInt(t -> t.values().length).sum();
            // the noise's norm is about sigma × clip × sqrt(values); five times that leaves no room for an unclipped block
            double bound = DP_CLIP + 5 * sigma * DP_CLIP * Math.sqrt(values);
            assertThat(norms).hasSize(2).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(bound));
            assertThat(blockStep(fed, finalModel.weights().specs())).as("the block still trains under DP")
                    .isGreaterThan(0);
        }
    }

    @Test
    void anEncoderThatIsNotTorchScriptStopsTheCoordinatorAtStartNamingTheFile() throws Exception {
        Path data = data();
        Path notTorchScript = Files.writeString(dir.resolve("encoder.pt"), "not a TorchScript archive");
        assertThatThrownBy(() -> federation(data, 1, 1, fineTuning(notTorchScript, null)))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("encoder_fine_tune.encoder")
                .hasMessageContaining(notTorchScript.toString())
                .hasMessageContaining("is not a TorchScript module");
    }

    @Test
    void aBlockPrefixThatMatchesNoParameterStopsTheCoordinatorNamingTheBlocksThereAre() throws Exception {
        Path data = data();
        assertThatThrownBy(() -> federation(data, 1, 1, fineTuning(ENCODER, "layer4.")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("encoder_fine_tune.trainable_prefix 'layer4.' matches none")
                .hasMessageContaining("[stem., block.]");
    }

    @Test
    void aSiteWithAnotherEncoderFileOrNoneIsRefusedAtJoin() throws Exception {
        Path data = data();
        try (TestFederation fed = federation(data, 1, 1, fineTuning(ENCODER, null))) {
            fed.siteEncoder = OTHER_ENCODER;
            AgentRun other = run(fed.siteConfig("site-1", fed.site("site-1")));
            assertThat(other.exit()).isEqualTo(SiteAgent.REFUSED);
            assertThat(other.console()).contains("not admitted", TorchScriptEncoder.sha256(ENCODER),
                    TorchScriptEncoder.sha256(OTHER_ENCODER), "encoder_file");

            fed.siteEncoder = null;
            AgentRun none = run(fed.siteConfig("site-2", fed.site("site-2")));
            assertThat(none.exit()).isEqualTo(SiteAgent.REFUSED);
            assertThat(none.console()).contains("not admitted", "is not set (encoder_file in site.yaml)");
        }
    }

    private record AgentRun(int exit, String console) {
    }

    private static AgentRun run(SiteConfig config) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (SiteAgent agent = new SiteAgent(config, new PrintStream(out, true, StandardCharsets.UTF_8))) {
            return new AgentRun(agent.run(), out.toString(StandardCharsets.UTF_8));
        }
    }
}
