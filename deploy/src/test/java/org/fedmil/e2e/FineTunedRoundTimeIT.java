package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedmil.cli.Fedmil;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.config.EncoderFineTuneSection;
import org.fedmil.mil.encoder.TorchScriptEncoder;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round time of a federation that fine-tunes an encoder's last block against one that trains the head on the
 * same encoder's cached features, on a small crc-nuclei subset (2 sites of 6 + 6 patients, a held-out set of
 * 4 + 4, native 27 × 27 tiles) with the two-block test encoder, over mutual TLS. Prints the numbers
 * docs/benchmarks.md reports; skips when the data set is absent.
 */
class FineTunedRoundTimeIT {

    private static final Path CRC = Path.of("../../shared/datasets/crc-nuclei");
    private static final Path ENCODER = Path.of("../common/mil/src/test/resources/encoders/two-block-encoder.pt")
            .toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private static String fedmil(String... args) {
        StringWriter text = new StringWriter();
        int rc = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text)).execute(args);
        assertThat(rc).as(String.join(" ", args) + "\n" + text).isZero();
        return text.toString();
    }

    /** Keeps the first {@code perLabel} negative and positive bags of the folder's bags.csv. */
    private static void subset(Path folder, int perLabel) throws Exception {
        List<String> lines = Files.readAllLines(folder.resolve("bags.csv"));
        List<String> kept = new ArrayList<>(List.of(lines.get(0)));
        int[] n = new int[2];
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",");
            int label = Integer.parseInt(f[f.length - 1].strip());
            if (n[label] < perLabel) {
                n[label]++;
                kept.add(line);
            }
        }
        Files.write(folder.resolve("bags.csv"), kept);
    }

    private static String load() throws Exception {
        return Files.readString(Path.of("/proc/loadavg")).strip();
    }

    /** Seconds from round_started to round_aggregated of round 1 in the coordinator's round log. */
    private static double roundSeconds(TestFederation fed) throws Exception {
        ObjectMapper json = new ObjectMapper();
        Instant started = null;
        Instant aggregated = null;
        for (String line : Files.readAllLines(fed.coordinator.store().dir().resolve(Coordinator.ROUND_LOG))) {
            JsonNode r = json.readTree(line);
            if (r.path("fields").path("round").asInt() != 1 && r.path("round").asInt() != 1) {
                continue;
            }
            String type = r.path("type").asText();
            if (type.equals("round_started") && started == null) {
                started = Instant.parse(r.path("time").asText());
            } else if (type.equals("round_aggregated")) {
                aggregated = Instant.parse(r.path("time").asText());
            }
        }
        assertThat(started).as("round 1 started").isNotNull();
        assertThat(aggregated).as("round 1 aggregated").isNotNull();
        return Duration.between(started, aggregated).toMillis() / 1000.0;
    }

    private double round(Path home, Path data, CoordinatorConfig.Model model,
                         java.util.function.UnaryOperator<CoordinatorConfig> tweak, Path siteEncoder)
            throws Exception {
        try (TestFederation fed = new TestFederation(Files.createDirectories(home), data, 2, 1, model,
                new CoordinatorConfig.Training(1, 5e-4, 0.0, 42L, null, null, null), tweak)) {
            fed.siteEncoder = siteEncoder;
            fed.runSites(List.of("site-1", "site-2"), new SiteConfig.Augmentation(false, false));
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(60))).isTrue();
            return roundSeconds(fed);
        }
    }

    @Test
    void oneRoundWithAndWithoutFineTuningTheLastBlock() throws Exception {
        Assumptions.assumeTrue(Files.isDirectory(CRC.resolve("patch_images")), "crc-nuclei is not at " + CRC);
        String loadBefore = load();
        Path tiles = dir.resolve("tiles");
        fedmil("data", "crc-nuclei", "--dataset", CRC.toString(), "--out", tiles.toString(), "--sites", "2",
                "--alpha", "5", "--seed", "1");
        subset(tiles.resolve("site-1"), 6);
        subset(tiles.resolve("site-2"), 6);
        subset(tiles.resolve("heldout"), 4);
        Path features = dir.resolve("features");
        long t0 = System.nanoTime();
        for (String set : List.of("site-1", "site-2", "heldout")) {
            fedmil("data", "features", "--tiles", tiles.resolve(set).toString(), "--encoder", ENCODER.toString(),
                    "--tile-size", "27", "--out", features.resolve(set).toString(), "--device", "cpu");
        }
        double encoding = (System.nanoTime() - t0) / 1e9;
        String sha = TorchScriptEncoder.sha256(ENCODER);

        double frozen = round(dir.resolve("frozen"), features,
                new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null, sha), c -> c, null);
        double tuned = round(dir.resolve("tuned"), tiles, new CoordinatorConfig.Model("attention", "mlp", 64, 32,
                null, null), c -> c.withEncoderFineTune(new EncoderFineTuneSection("last_block", ENCODER, null, 27, 3,
                null)), ENCODER);
        String loadAfter = load();
        System.out.printf(Locale.ROOT, "FINE-TUNED ROUND TIME: features once %.1f s (3 folders); round 1 frozen "
                + "(cached features) %.2f s; round 1 last_block %.2f s; load average before [%s] after [%s]%n",
                encoding, frozen, tuned, loadBefore, loadAfter);
        assertThat(tuned).isPositive();
        assertThat(frozen).isPositive();
    }
}
