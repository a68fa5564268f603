package org.fedmil.site.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagDatasetWriter;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil site explain} on a real generated feature-bag site and a real model file. */
class ExplainCommandTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 32, 16, 8);

    @TempDir
    Path dir;

    private Path data;
    private Path model;
    private BagDataset dataset;

    /** What a run printed and the exception it ended with, if any. */
    private record Run(int exit, String out, Exception error) {
    }

    @BeforeEach
    void site() throws IOException {
        dataset = SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(1).withBags(30, 4)
                .withSeed(5)).sites().get(0).dataset();
        data = dir.resolve("data");
        BagDatasetWriter.write(data, dataset);
        model = dir.resolve("state").resolve("global-model.fedmil");
        writeModel(model, Map.of("federation_id", "colon-2026", "model_version", "3"));
    }

    private static void writeModel(Path file, Map<String, String> metadata) {
        writeModel(file, SPEC, metadata);
    }

    /** A model with random (not uniform) attention, so ranks mean something. */
    private static void writeModel(Path file, ModelSpec spec, Map<String, String> metadata) {
        try (MilModel m = MilModel.create(spec, Device.cpu(), 1)) {
            Random rng = new Random(2);
            List<NamedTensor> noisy = new ArrayList<>();
            for (NamedTensor t : m.weights().tensors()) {
                float[] v = new float[t.size()];
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) (0.5 * rng.nextGaussian());
                }
                noisy.add(new NamedTensor(t.name(), t.shape(), v));
            }
            ModelFile.write(file, spec, new TensorSet(noisy), new LinkedHashMap<>(metadata));
        }
    }

    private static Run explain(String... args) {
        StringWriter out = new StringWriter();
        Exception[] error = new Exception[1];
        CommandLine cl = new CommandLine(new SiteCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(new StringWriter(), true));
        cl.setExecutionExceptionHandler((e, c, p) -> {
            error[0] = e;
            return 2;
        });
        String[] full = new String[args.length + 1];
        full[0] = "explain";
        System.arraycopy(args, 0, full, 1, args.length);
        int exit = cl.execute(full);
        return new Run(exit, out.toString(), error[0]);
    }

    private static List<String[]> rows(Path csv) throws IOException {
        List<String> lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        List<String[]> out = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            out.add(line.split(",", -1));
        }
        return out;
    }

    @Test
    void eachBagGetsOneCsvRowPerInstanceRankedByAttentionThatSumsToOne() throws IOException {
        Path out = dir.resolve("out");
        List<Bag> some = dataset.bags().subList(0, 5);
        String ids = String.join(",", some.stream().map(Bag::id).toList());

        Run run = explain("--data", data.toString(), "--model", model.toString(), "--bags", ids, "--out",
                out.toString());

        assertThat(run.error()).isNull();
        assertThat(run.exit()).isZero();
        for (Bag bag : some) {
            Path csv = out.resolve("bags").resolve(bag.id() + ".csv");
            assertThat(Files.readAllLines(csv).get(0)).isEqualTo("rank,instance,name,attention,score");
            List<String[]> rows = rows(csv);
            assertThat(rows).as("one row per instance of %s", bag.id()).hasSize(bag.instances());
            double sum = 0;
            double previous = Double.POSITIVE_INFINITY;
            List<Integer> instances = new ArrayList<>();
            for (int r = 0; r < rows.size(); r++) {
                String[] row = rows.get(r);
                assertThat(Integer.parseInt(row[0])).isEqualTo(r + 1);
                int instance = Integer.parseInt(row[1]);
                instances.add(instance);
                assertThat(row[2]).isEqualTo("instance_" + instance);
                double attention = Double.parseDouble(row[3]);
                assertThat(attention).as("rank %d of %s", r + 1, bag.id()).isLessThanOrEqualTo(previous);
                previous = attention;
                sum += attention;
                assertThat(Double.parseDouble(row[4])).isBetween(0.0, 1.0);
            }
            assertThat(sum).isCloseTo(1.0, within(1e-4));
            assertThat(instances).containsExactlyInAnyOrderElementsOf(
                    java.util.stream.IntStream.range(0, bag.instances()).boxed().toList());
            // the most attended instance really is ranked first, not merely sorted: the bag is not uniform
            assertThat(Double.parseDouble(rows.get(0)[3])).isGreaterThan(1.0 / bag.instances());
        }
        List<String[]> summary = rows(out.resolve("summary.csv"));
        assertThat(summary).extracting(r -> r[0]).containsExactlyElementsOf(some.stream().map(Bag::id).toList());
        assertThat(summary).extracting(r -> Integer.parseInt(r[1])).containsExactlyElementsOf(
                some.stream().map(Bag::label).toList());
        assertThat(summary).allSatisfy(r -> assertThat(Double.parseDouble(r[2])).isBetween(0.0, 1.0));
        assertThat(run.out()).contains("explained 5 of 30 bags").contains("global model v3 of federation "
                + "'colon-2026'").contains(out.resolve("index.html").toString()).contains("Nothing was sent");
    }

    @Test
    void thePageListsTheBagsAndIsSelfContained() throws IOException {
        Path out = dir.resolve("out");

        explain("--data", data.toString(), "--model", model.toString(), "--out", out.toString(), "--top", "3");

        String html = Files.readString(out.resolve("index.html"));
        assertThat(html).startsWith("<!DOCTYPE html>").contains("Content-Security-Policy")
                .contains("colon-2026").contains("attention/mlp(32)");
        assertThat(html).doesNotContain("http://").doesNotContain("https://").doesNotContain("<script")
                .doesNotContain("<link").doesNotContain("@import");
        for (Bag bag : dataset.bags().stream().filter(b -> b.label() == 1).toList()) {
            assertThat(html).contains("id=\"bag-" + bag.id() + "\"");
        }
        // --top 3: three instance rows per bag on the page, every instance in its CSV
        Bag first = dataset.bags().stream().filter(b -> b.label() == 1 && b.instances() > 3).findFirst().orElseThrow();
        String section = html.substring(html.indexOf("id=\"bag-" + first.id() + "\""));
        section = section.substring(0, section.indexOf("</section>"));
        assertThat(section.split("<tr><td class=\"num\">", -1)).hasSize(4);
        assertThat(rows(out.resolve("bags").resolve(first.id() + ".csv"))).hasSize(first.instances());
    }

    @Test
    void byDefaultUpToTwentyBagsArePickedPositivesFirst() throws IOException {
        Path out = dir.resolve("out");

        explain("--data", data.toString(), "--model", model.toString(), "--out", out.toString());

        List<String[]> summary = rows(out.resolve("summary.csv"));
        long positives = dataset.labelCounts().positives();
        assertThat(summary).hasSize(20);
        List<Integer> labels = summary.stream().map(r -> Integer.parseInt(r[1])).toList();
        for (int i = 0; i < labels.size(); i++) {
            assertThat(labels.get(i)).as("bag %d", i).isEqualTo(i < positives ? 1 : 0);
        }
    }

    @Test
    void theModelsMetadataIsEscapedOnThePage() throws IOException {
        // the federation id comes from the coordinator: the one string a remote party puts on this page
        Path hostile = dir.resolve("hostile.fedmil");
        writeModel(hostile, Map.of("federation_id", "<script>alert('x')</script>&\"", "model_version", "1"));
        Path out = dir.resolve("out");

        explain("--data", data.toString(), "--model", hostile.toString(), "--out", out.toString(), "--all");

        String html = Files.readString(out.resolve("index.html"));
        assertThat(html).doesNotContain("<script>").contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
        assertThat(rows(out.resolve("summary.csv"))).hasSize(30);
    }

    @Test
    void anUnknownBagIdIsRefusedWithWhereToFindTheValidOnes() {
        Run run = explain("--data", data.toString(), "--model", model.toString(), "--bags",
                dataset.bags().get(0).id() + ",no-such-bag");

        assertThat(run.error()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown bag id 'no-such-bag'")
                .hasMessageContaining("the valid ids are the bag_id column of " + data.resolve("bags.csv"))
                .hasMessageContaining("or pass --all");
        assertThat(dir.resolve("state/explain")).doesNotExist();
    }

    @Test
    void withoutAKeptModelTheUserIsToldToRunTheAgentFirstOrPassModel() throws IOException {
        Path yaml = siteYaml(dir.resolve("empty-state"));

        Run run = explain("--config", yaml.toString());

        assertThat(run.error()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no model file at " + dir.resolve("empty-state/global-model.fedmil"))
                .hasMessageContaining("this site has not yet received a global model")
                .hasMessageContaining("Run the agent first ('fedmil site run --config " + yaml + "')")
                .hasMessageContaining("or pass --model FILE");
    }

    @Test
    void withTheSiteYamlItReadsDataAndStateDirAndWritesUnderStateDirExplain() throws IOException {
        Path yaml = siteYaml(dir.resolve("state"));

        Run run = explain("--config", yaml.toString(), "--bags", dataset.bags().get(1).id());

        assertThat(run.error()).isNull();
        Path out = dir.resolve("state").resolve("explain");
        assertThat(out.resolve("index.html")).exists();
        assertThat(out.resolve("bags").resolve(dataset.bags().get(1).id() + ".csv")).exists();
        try (Stream<Path> files = Files.list(out)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("index.html",
                    "summary.csv", "bags");
        }
    }

    @Test
    void aModelForOtherBagsIsRefusedNamingBoth() {
        Path other = dir.resolve("other.fedmil");
        try (MilModel m = MilModel.create(new ModelSpec(Architecture.ATTENTION, 7, 4, 2), Device.cpu(), 1)) {
            ModelFile.write(other, m.spec(), m.weights(), Map.of());
        }

        Run run = explain("--data", data.toString(), "--model", other.toString());

        assertThat(run.error()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("expects 7 values per instance but the bags in " + data + " have 32");
    }

    @Test
    void contradictoryOrEmptyChoicesAreRefused() {
        Run run = explain("--data", data.toString(), "--model", model.toString(), "--all", "--bags", "x");

        assertThat(run.error()).hasMessage("pass either --bags or --all, not both");
        assertThat(explain("--data", data.toString(), "--model", model.toString(), "--top", "0").error())
                .hasMessage("--top is 0; show at least 1 instance per bag");
    }

    @Test
    void tileBagsAreNamedByTileFileAndShownAsEmbeddedImages() throws IOException {
        ModelSpec cnn = ModelSpec.cnn(Architecture.ATTENTION, 3, 8, 8, 4);
        Path site = dir.resolve("tile-site");
        Random rng = new Random(4);
        int[] tiles = {5, 3, 4};
        StringBuilder index = new StringBuilder("bag_id,label\n");
        for (int b = 0; b < tiles.length; b++) {
            String id = "slide-" + b;
            index.append(id).append(',').append(b == 0 ? 1 : 0).append('\n');
            Path folder = Files.createDirectories(site.resolve("tiles").resolve(id));
            for (int t = 0; t < tiles[b]; t++) {
                BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_INT_RGB);
                for (int x = 0; x < 8; x++) {
                    for (int y = 0; y < 8; y++) {
                        img.setRGB(x, y, rng.nextInt(0xFFFFFF));
                    }
                }
                assertThat(ImageIO.write(img, "png", folder.resolve("tile_" + t + ".png").toFile())).isTrue();
            }
        }
        Files.writeString(site.resolve("bags.csv"), index);
        Path cnnModel = dir.resolve("cnn.fedmil");
        writeModel(cnnModel, cnn, Map.of("model_version", "1"));
        Path out = dir.resolve("tile-out");

        Run run = explain("--data", site.toString(), "--model", cnnModel.toString(), "--out", out.toString());

        assertThat(run.error()).isNull();
        assertThat(rows(out.resolve("summary.csv"))).extracting(r -> r[0])
                .containsExactly("slide-0", "slide-1", "slide-2");
        List<String[]> rows = rows(out.resolve("bags").resolve("slide-0.csv"));
        assertThat(rows).hasSize(5);
        assertThat(rows).allSatisfy(r -> assertThat(r[2]).isEqualTo("tile_" + r[1] + ".png"));
        assertThat(rows.stream().mapToDouble(r -> Double.parseDouble(r[3])).sum()).isCloseTo(1.0, within(1e-4));
        String html = Files.readString(out.resolve("index.html"));
        String topTile = rows.get(0)[2];
        String uri = "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(
                Files.readAllBytes(site.resolve("tiles/slide-0").resolve(topTile)));
        assertThat(html).contains("<img src=\"" + uri + "\" alt=\"" + topTile + "\">")
                .contains("#1 " + topTile);
    }

    @Test
    void aFeatureModelOnATileSiteIsRefusedNamingBoth() throws IOException {
        Path site = dir.resolve("tile-site");
        Files.createDirectories(site.resolve("tiles").resolve("a"));
        Files.writeString(site.resolve("bags.csv"), "bag_id,label\na,1\n");

        Run run = explain("--data", site.toString(), "--model", model.toString());

        assertThat(run.error()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("reads feature vectors but " + site + " holds image tiles (tiles/)");
    }

    /** A site.yaml the agent could run with (certificate files are placeholders: explain never dials). */
    private Path siteYaml(Path stateDir) throws IOException {
        for (String pem : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(pem), "placeholder\n");
        }
        return Files.writeString(dir.resolve("site.yaml"), """
                coordinator:
                  host: fedmil.example.org
                tls:
                  cert: cert.pem
                  key: key.pem
                  ca: ca.pem
                data_dir: data
                state_dir: %s
                """.formatted(stateDir));
    }
}
