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
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.cli.Fedmil;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.data.dicom.DicomConverter;
import org.fedmil.data.dicom.TestDicom;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.model.LocalModelStore;
import org.fedmil.site.predict.PredictionFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The radiology path end to end, over mutual TLS: CT series exported as DICOM at 3 sites and a held-out set →
 * tile bags (fedmil data dicom: a bag per series, slices in order, soft-tissue window, hashed ids) → a federated
 * attention MIL model on a small CNN → fedmil predict on two unseen series, mapped back to their files through the
 * site's own dicom_bags.csv.
 */
class DicomFederationIT {

    private static final int SIDE = 16;

    @TempDir
    Path dir;

    /** 6 slices 2 mm apart of noisy soft tissue (about 40 HU); a lesion series has a bright disc in slices 2–3. */
    private void series(Path folder, String uid, boolean lesion) throws IOException {
        for (int s = 0; s < 6; s++) {
            int slice = s;
            long seed = uid.hashCode() * 31L + s;
            new TestDicom().study(uid + ".9").series(uid).instance(s + 1).z(2.0 * s).size(SIDE, SIDE).hu((x, y) -> {
                int noise = (int) (Math.floorMod((seed + x * 7919L + y * 104729L) * 2654435761L, 41L) - 20);
                boolean inDisc = (x - 8) * (x - 8) + (y - 8) * (y - 8) <= 16;
                return lesion && (slice == 2 || slice == 3) && inDisc ? 250 + noise : 40 + noise;
            }).write(folder.resolve("IM" + (5 - s) + ".dcm"));
        }
    }

    private static String fedmil(String... args) {
        StringWriter text = new StringWriter();
        int rc = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text)).execute(args);
        assertThat(rc).as(String.join(" ", args) + "\n" + text).isZero();
        return text.toString();
    }

    private void convert(Path export, Path out, String... labelling) {
        String[] base = {"data", "dicom", "--input", export.toString(), "--out", out.toString(), "--size",
                Integer.toString(SIDE), "--window", "soft_tissue", "--id-key", dir.resolve("site.key").toString()};
        String[] all = new String[base.length + labelling.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(labelling, 0, all, base.length, labelling.length);
        fedmil(all);
    }

    @Test
    void ctSeriesAtThreeSitesTrainAFederatedModelThatCallsUnseenSeries() throws Exception {
        Path data = dir.resolve("data");
        int n = 0;
        for (String set : List.of("site-1", "site-2", "site-3", "heldout")) {
            Path export = dir.resolve("export").resolve(set);
            for (int i = 0; i < 6; i++, n++) {
                boolean lesion = i % 2 == 0;
                series(export.resolve(lesion ? "lesion" : "normal").resolve("case" + n), "1.2.826.7." + n, lesion);
            }
            convert(export, data.resolve(set), "--positive", "lesion");
        }
        Path newCases = dir.resolve("export").resolve("new");
        series(newCases.resolve("with-lesion"), "1.2.826.7.100", true);
        series(newCases.resolve("without"), "1.2.826.7.101", false);
        convert(newCases, dir.resolve("cases"));

        try (TestFederation fed = new TestFederation(dir, data, 3, 8,
                new CoordinatorConfig.Model("attention", "cnn", 16, 8, SIDE, 1),
                new CoordinatorConfig.Training(2, 0.01, 0.0, 42L, null, null, null))) {
            fed.runSites(List.of("site-1", "site-2", "site-3"), new SiteConfig.Augmentation(false, false));
            assertThat(fed.coordinator.run().awaitFinished(Duration.ofSeconds(30))).isTrue();

            Path model = LocalModelStore.globalModelFile(fed.stateDir("site-1"));
            Path out = dir.resolve("predictions");
            String printed = fedmil("predict", "--data", dir.resolve("cases").toString(), "--model", model.toString(),
                    "--validation", data.resolve("heldout").toString(), "--out", out.toString());

            assertThat(printed).contains("scored 2 bags");
            Map<String, String> caseOfBag = new HashMap<>();
            for (String line : Files.readAllLines(dir.resolve("cases").resolve(DicomConverter.INDEX)).subList(1, 3)) {
                caseOfBag.put(line.split(",")[0], line.split(",")[1].split("/")[0]);
            }
            Map<String, String[]> byCase = new HashMap<>();
            for (String line : Files.readAllLines(out.resolve(PredictionFiles.PREDICTIONS)).subList(1, 3)) {
                String[] row = line.split(",");
                byCase.put(caseOfBag.get(row[0]), row);
            }
            assertThat(Double.parseDouble(byCase.get("with-lesion")[2]))
                    .as("the unseen series with a lesion scores above the one without")
                    .isGreaterThan(Double.parseDouble(byCase.get("without")[2]));
            assertThat(byCase.get("with-lesion")[3]).as("called positive").isEqualTo("1");
            assertThat(byCase.get("without")[3]).as("called negative").isEqualTo("0");
            JsonNode t = new ObjectMapper().readTree(out.resolve(PredictionFiles.THRESHOLD).toFile());
            assertThat(t.get("sensitivity").asDouble() + t.get("specificity").asDouble() - 1)
                    .as("the federated model separates the 6 held-out series").isGreaterThanOrEqualTo(2 / 3.0);
            assertThat(printed).doesNotContain(TestDicom.PATIENT_NAME, "1.2.826.7.");
        }
    }
}
