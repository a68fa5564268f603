package org.fedmil.data.dicom;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.Raster;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.fedmil.cli.Fedmil;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fedmil data dicom} as a hospital runs it: a DICOM export in, a loadable tile site out, no PHI in it. */
class DicomCommandTest {

    @TempDir
    Path tmp;

    private record Run(int rc, String text) {
    }

    private Run run(String... args) {
        StringWriter text = new StringWriter();
        String[] all = Stream.concat(Stream.of("data", "dicom"), Stream.of(args)).toArray(String[]::new);
        int rc = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text)).execute(all);
        return new Run(rc, text.toString());
    }

    /** A CT series of {@code n} slices, uniform {@code hu}; shuffled file names, as PACS exports name them. */
    private void series(Path folder, String uid, int n, int hu) throws IOException {
        for (int i = 0; i < n; i++) {
            new TestDicom().study(uid + ".0").series(uid).instance(i + 1).z(1.25 * i).hu((x, y) -> hu)
                    .write(folder.resolve("IM" + ((i * 7) % n)));
        }
    }

    @Test
    void classFoldersOfSeriesBecomeATileSiteWithNoPatientDataInIt() throws IOException {
        Path export = tmp.resolve("export");
        series(export.resolve("tumour/p1"), "1.2.840.99.1", 5, 200);
        series(export.resolve("normal/p2"), "1.2.840.99.2", 4, 40);
        series(export.resolve("normal/p3"), "1.2.840.99.3", 3, 40);
        Path out = tmp.resolve("site");

        Run r = run("--input", export.toString(), "--out", out.toString(), "--size", "8", "--window", "soft_tissue",
                "--positive", "tumour");

        assertThat(r.rc()).as(r.text()).isZero();
        BagDataset site = BagDataset.load(out, new TileFormat(1, 8));
        assertThat(site.size()).isEqualTo(3);
        assertThat(site.labelCounts().positives()).isEqualTo(1);
        assertThat(site.bags()).extracting(b -> b.instances()).containsExactlyInAnyOrder(5, 4, 3);
        assertThat(r.text()).contains("wrote 3 bags (12 tiles)", "channels 1, size 8", "1.25 mm");
        // soft tissue window (40, 400): 40 HU is the middle grey, 200 HU 0.9 of white, in 16-bit PNG
        String tumour = site.bags().stream().filter(b -> b.label() == 1).findFirst().orElseThrow().id();
        Raster px = ImageIO.read(out.resolve("tiles").resolve(tumour).resolve("0000.png").toFile()).getRaster();
        assertThat(px.getSample(3, 3, 0) / 65535.0).isCloseTo(0.9, org.assertj.core.data.Offset.offset(1e-3));
        try (Stream<Path> files = Files.walk(out)) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                String content = new String(Files.readAllBytes(f), StandardCharsets.ISO_8859_1);
                assertThat(content).as(f.toString()).doesNotContain(TestDicom.PATIENT_NAME, TestDicom.PATIENT_ID,
                        "1.2.840.99");
            }
        }
        assertThat(r.text()).doesNotContain(TestDicom.PATIENT_NAME, TestDicom.PATIENT_ID, "1.2.840.99");
    }

    @Test
    void theSameKeyGivesTheSameBagIdsAndAnotherKeyOthers() throws IOException {
        Path export = tmp.resolve("export");
        series(export, "1.2.840.99.7", 3, 0);
        Path key = tmp.resolve("site.key");

        assertThat(run("--input", export.toString(), "--out", tmp.resolve("a").toString(), "--size", "8",
                "--id-key", key.toString()).rc()).isZero();
        assertThat(run("--input", export.toString(), "--out", tmp.resolve("b").toString(), "--size", "8",
                "--id-key", key.toString()).rc()).isZero();
        assertThat(run("--input", export.toString(), "--out", tmp.resolve("c").toString(), "--size", "8").rc())
                .isZero();

        List<String> a = Files.readAllLines(tmp.resolve("a/bags.csv"));
        assertThat(a).hasSize(2).element(1).asString().matches("s[0-9a-f]{20},");
        assertThat(Files.readAllLines(tmp.resolve("b/bags.csv"))).isEqualTo(a);
        assertThat(Files.readAllLines(tmp.resolve("c/bags.csv"))).isNotEqualTo(a);
        assertThat(tmp.resolve("c").resolve(BagIds.DEFAULT_KEY_FILE)).exists();
    }

    @Test
    void aLabelsCsvKeyedBySeriesUidLabelsTheBags() throws IOException {
        Path export = tmp.resolve("export");
        series(export.resolve("x"), "1.2.840.99.11", 3, 200);
        series(export.resolve("y"), "1.2.840.99.12", 3, 40);
        Path csv = Files.writeString(tmp.resolve("labels.csv"), "series_uid,label\n1.2.840.99.11,1\n1.2.840.99.12,\n");

        Run r = run("--input", export.toString(), "--out", tmp.resolve("site").toString(), "--size", "8",
                "--labels", csv.toString());

        assertThat(r.rc()).as(r.text()).isZero();
        assertThat(Files.readAllLines(tmp.resolve("site/bags.csv"))).extracting(l -> l.substring(l.indexOf(',')))
                .containsExactlyInAnyOrder(",label", ",1", ",");
    }

    @Test
    void aSeriesWithAMissingSliceStopsTheRunNamingItsFilesAndWritesNothing() throws IOException {
        Path export = tmp.resolve("export");
        series(export.resolve("ok"), "1.2.840.99.21", 4, 40);
        series(export.resolve("gap"), "1.2.840.99.22", 6, 40);
        Files.delete(export.resolve("gap/IM2")); // slice 3 of 6 (file names are shuffled)
        Path out = tmp.resolve("site");

        Run r = run("--input", export.toString(), "--out", out.toString(), "--size", "8");

        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.text()).contains("1 problem(s)", "gap/", "slices missing", "nothing was written");
        assertThat(out.resolve("bags.csv")).doesNotExist();
        assertThat(out.resolve("tiles")).doesNotExist();
    }

    @Test
    void aCompressedExportIsRefusedWithTheWayOut() throws IOException {
        new TestDicom().transferSyntax("1.2.840.10008.1.2.4.90").write(tmp.resolve("export/a.dcm"));

        Run r = run("--input", tmp.resolve("export").toString(), "--out", tmp.resolve("site").toString(), "--size",
                "8");

        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.text()).contains("a.dcm", "compressed", "1.2.840.10008.1.2.4.90", "uncompressed");
    }

    @Test
    void aFolderWithoutDicomImagesSaysSo() throws IOException {
        Files.createDirectories(tmp.resolve("export"));
        Files.writeString(tmp.resolve("export/notes.txt"), "hello");

        Run r = run("--input", tmp.resolve("export").toString(), "--out", tmp.resolve("site").toString(), "--size",
                "8");

        assertThat(r.rc()).isEqualTo(2);
        assertThat(r.text()).contains("holds no DICOM image (1 other file(s))");
    }

    @Test
    void threeWindowsMakeThreeChannelTilesAndMonochrome1IsInverted() throws IOException {
        Path export = tmp.resolve("export");
        for (int i = 0; i < 2; i++) {
            new TestDicom().series("1.2.840.99.31").instance(i + 1).z(i).photometric("MONOCHROME1")
                    .hu((x, y) -> 40).write(export.resolve("f" + i));
        }
        Path out = tmp.resolve("site");

        Run r = run("--input", export.toString(), "--out", out.toString(), "--size", "8", "--window", "brain",
                "--window", "soft_tissue", "--window", "-960,10");

        assertThat(r.rc()).as(r.text()).isZero();
        String id = Files.readAllLines(out.resolve("bags.csv")).get(1).split(",")[0];
        Raster px = ImageIO.read(out.resolve("tiles").resolve(id).resolve("0000.png").toFile()).getRaster();
        assertThat(px.getNumBands()).isEqualTo(3);
        // 40 HU: brain window middle, soft tissue middle, far above the last window: inverted 0.5, 0.5, 0
        assertThat(px.getSample(2, 2, 0)).isBetween(126, 129);
        assertThat(px.getSample(2, 2, 1)).isBetween(126, 129);
        assertThat(px.getSample(2, 2, 2)).isZero();
    }
}
