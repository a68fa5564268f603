package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.fedmil.cli.Fedmil;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.data.slide.PyramidalTiff;
import org.fedmil.data.slide.Slide;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.model.LocalModelStore;
import org.fedmil.site.predict.PredictionFiles;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hospital path of issue 19 end to end, over mutual TLS: pyramidal TIFF slides at 3 sites and a held-out set →
 * tissue tiles (fedmil data slides) → features of a TorchScript encoder, cached (fedmil data features) → a federation
 * that pins that encoder's SHA-256 trains attention MIL on the features → fedmil predict on unseen slides, with
 * heatmaps over them.
 */
class SlidesFederationIT {

    /** Made by common/mil/src/test/resources/encoders/make_encoders.py. */
    private static final Path ENCODER = Path.of("../common/mil/src/test/resources/encoders/tiny-encoder.pt");
    private static final String ENCODER_SHA = "0a2b14b04b7786528f578a1c64284f671c0df6224fa623fac8182d75ba7e380d";

    @TempDir
    Path dir;

    /** 1200 × 900 at 0.5 µm/px; tumour tissue is dotted with purple nuclei, normal tissue plain pink. */
    private Path slide(Path folder, String name, boolean tumour, long cx) throws IOException {
        Path f = Files.createDirectories(folder).resolve(name);
        PyramidalTiff.write(f, 1200, 900, 0.5, 256, 3, (x, y) -> {
            double dx = (x - cx) / 360.0;
            double dy = (y - 450) / 300.0;
            if (dx * dx + dy * dy > 1) {
                return 0xF5F4F6;
            }
            return tumour && (x / 8 + y / 8) % 3 == 0 ? 0x503080 : 0xE0A0C8;
        });
        return f;
    }

    private static String fedmil(String... args) {
        StringWriter text = new StringWriter();
        int rc = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text)).execute(args);
        assertThat(rc).as(String.join(" ", args) + "\n" + text).isZero();
        return text.toString();
    }

    /** One labelled slide set (CSV in {@code slides/<set>.csv}) cut into tiles, then into encoder features. */
    private void prepare(Path slides, String set, Path data) {
        Path tiles = dir.resolve("tiles").resolve(set);
        fedmil("data", "slides", "--input", slides.resolve(set + ".csv").toString(), "--out", tiles.toString(),
                "--tile-size", "16", "--target-mpp", "2.0", "--max-tiles", "24");
        fedmil("data", "features", "--tiles", tiles.toString(), "--encoder", ENCODER.toString(), "--tile-size", "16",
                "--out", data.resolve(set).toString(), "--cache", dir.resolve("feature-cache").toString(),
                "--device", "cpu");
    }

    @Test
    void slidesAtThreeSitesTrainAFederatedModelThatCallsUnseenSlidesAndShowsWhereItLooked() throws Exception {
        Assumptions.assumeTrue(Slide.libraryProblem().isEmpty(), "OpenSlide (libopenslide0) is not installed");
        Path slides = dir.resolve("slides");
        Path data = dir.resolve("data");
        int n = 0;
        for (String set : List.of("site-1", "site-2", "site-3", "heldout")) {
            StringBuilder csv = new StringBuilder("slide,label\n");
            for (int i = 0; i < 6; i++, n++) {
                boolean tumour = i % 2 == 0;
                slide(slides, "s" + n + ".tif", tumour, 400 + 17 * n);
                csv.append("s").append(n).append(".tif,").append(tumour ? 1 : 0).append('\n');
            }
            Files.writeString(slides.resolve(set + ".csv"), csv);
            prepare(slides, set, data);
        }
        slide(slides, "new-tumour.tif", true, 600);
        slide(slides, "new-normal.tif", false, 600);
        Files.writeString(slides.resolve("new.csv"), "slide,label\nnew-tumour.tif,\nnew-normal.tif,\n");
        prepare(slides, "new", dir.resolve("cases"));
        assertThat(Files.readString(data.resolve("site-1/features.json"))).contains(ENCODER_SHA);

        try (TestFederation fed = new TestFederation(dir, data, 3, 8,
                new CoordinatorConfig.Model("attention", "mlp", 16, 8, null, null, ENCODER_SHA),
                new CoordinatorConfig.Training(2, 0.01, 0.0, 42L, null, null, null))) {
            fed.runSites(List.of("site-1", "site-2", "site-3"), new SiteConfig.Augmentation(false, false));
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(30))).isTrue();

            Path model = LocalModelStore.globalModelFile(fed.stateDir("site-1"));
            Path out = dir.resolve("predictions");
            String printed = fedmil("predict", "--data", dir.resolve("cases").resolve("new").toString(), "--model",
                    model.toString(), "--validation", data.resolve("heldout").toString(), "--slides",
                    slides.toString(), "--out", out.toString());

            assertThat(printed).contains("scored 2 bags", "(2 heatmaps)");
            List<String> rows = Files.readAllLines(out.resolve(PredictionFiles.PREDICTIONS));
            assertThat(rows.get(1)).startsWith("new-tumour,,");
            assertThat(rows.get(2)).startsWith("new-normal,,");
            assertThat(Double.parseDouble(rows.get(1).split(",")[2]))
                    .as("the unseen tumour slide scores above the unseen normal one")
                    .isGreaterThan(Double.parseDouble(rows.get(2).split(",")[2]));
            assertThat(rows.get(1).split(",")[3]).as("called positive").isEqualTo("1");
            assertThat(rows.get(2).split(",")[3]).as("called negative").isEqualTo("0");
            JsonNode t = new ObjectMapper().readTree(out.resolve(PredictionFiles.THRESHOLD).toFile());
            assertThat(t.get("sensitivity").asDouble() + t.get("specificity").asDouble() - 1)
                    .as("the federated model separates the 6 held-out slides").isGreaterThanOrEqualTo(2 / 3.0);
            assertThat(out.resolve(PredictionFiles.HEATMAPS).resolve("new-tumour__new-tumour.png")).exists();
        }
    }
}
