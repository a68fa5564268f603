package org.fedmil.data.slide;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.cli.Fedmil;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil data slides} as a hospital runs it: a folder of slides in, a loadable tile site out. */
class SlidesCommandTest {

    @BeforeAll
    static void openSlideInstalled() {
        Slide.libraryProblem().ifPresent(p -> System.out.println("skipped: " + p));
        Assumptions.assumeTrue(Slide.libraryProblem().isEmpty(), "OpenSlide (libopenslide0) is not installed");
    }

    @TempDir
    Path tmp;

    /** A 1200 × 900 slide at 0.5 µm/px, 3 levels, with a disc of pink tissue (purple-dotted for tumour). */
    private Path slide(String path, boolean tumour) throws IOException {
        Path f = tmp.resolve(path);
        Files.createDirectories(f.getParent());
        PyramidalTiff.write(f, 1200, 900, 0.5, 256, 3, (x, y) -> {
            double dx = (x - 600) / 400.0;
            double dy = (y - 450) / 300.0;
            if (dx * dx + dy * dy > 1) {
                return 0xF5F4F6;
            }
            return tumour && (x / 8 + y / 8) % 3 == 0 ? 0x503080 : 0xE0A0C8;
        });
        return f;
    }

    private String[] args(String... extra) {
        String[] base = {"data", "slides", "--tile-size", "32", "--target-mpp", "1.0"};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return all;
    }

    @Test
    void classFoldersOfSlidesBecomeATileSiteOfTissueTiles() throws IOException {
        slide("slides/normal/n1.tif", false);
        slide("slides/normal/n2.tif", false);
        slide("slides/tumour/t1.tif", true);
        Path out = tmp.resolve("site");
        StringWriter text = new StringWriter();
        CommandLine cli = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text));

        int rc = cli.execute(args("--input", tmp.resolve("slides").toString(), "--out", out.toString(),
                "--positive", "tumour", "--max-tiles", "40"));

        assertThat(rc).as(text.toString()).isZero();
        BagDataset site = BagDataset.load(out, new TileFormat(3, 32));
        assertThat(site.size()).isEqualTo(3);
        assertThat(site.labelCounts().positives()).isEqualTo(1);
        assertThat(site.bags()).allSatisfy(b -> assertThat(b.instances()).isEqualTo(40));
        assertThat(text.toString()).contains("normal/n1.tif", "wrote 3 bags (120 tiles from 3 slides)",
                "channels 3, size 32");
        assertThat(Files.readAllLines(out.resolve(SlideCutter.REPORT))).hasSize(4);
    }

    @Test
    void aCsvWithAPatientColumnMakesOneBagPerPatient() throws IOException {
        slide("s/a1.tif", true);
        slide("s/a2.tif", false);
        slide("s/b1.tif", false);
        Path csv = Files.writeString(tmp.resolve("slides.csv"), "slide,label,patient\ns/a1.tif,1,P1\ns/a2.tif,1,P1\n"
                + "s/b1.tif,0,P2\n");
        Path out = tmp.resolve("site");
        StringWriter text = new StringWriter();
        int rc = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text)).execute(
                args("--input", csv.toString(), "--out", out.toString(), "--patient-column", "patient",
                        "--max-tiles", "10"));

        assertThat(rc).as(text.toString()).isZero();
        BagDataset site = BagDataset.load(out, new TileFormat(3, 32));
        assertThat(site.bags()).extracting(b -> b.id() + ":" + b.instances()).containsExactly("P1:20", "P2:10");
    }

    @Test
    void aFileThatIsNoSlideStopsTheRunNamingItAndWritesNothing() throws IOException {
        slide("slides/normal/n1.tif", false);
        Path fake = tmp.resolve("slides/tumour/t1.svs");
        Files.createDirectories(fake.getParent());
        Files.writeString(fake, "not a slide");
        Path out = tmp.resolve("site");
        StringWriter err = new StringWriter();
        int rc = Fedmil.commandLine().setOut(new PrintWriter(new StringWriter())).setErr(new PrintWriter(err))
                .execute(args("--input", tmp.resolve("slides").toString(), "--out", out.toString(), "--positive",
                        "tumour"));

        assertThat(rc).isEqualTo(2);
        assertThat(err.toString()).contains("t1.svs", "nothing was written", "formats that work");
        assertThat(out.resolve("bags.csv")).doesNotExist();
        assertThat(out.resolve("tiles")).doesNotExist();
    }
}
