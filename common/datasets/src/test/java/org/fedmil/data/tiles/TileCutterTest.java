package org.fedmil.data.tiles;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

import org.fedmil.data.SourceDataException;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.data.TileImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Images cut into tile bags: geometry, background filter, 16-bit and multi-page TIFF, grouping, errors. */
class TileCutterTest {

    private static final int PINK = 0xE696C8;   // eosin-like tissue, saturation 0.35
    private static final int WHITE = 0xF5F5F5;  // glass
    private static final int PALE_GREY = 0xC8C8CD; // unstained, saturation 0.02

    @TempDir
    Path tmp;

    private static BufferedImage rgb(int w, int h, int colour) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, colour);
            }
        }
        return img;
    }

    private Path png(String name, BufferedImage img) throws IOException {
        Path f = tmp.resolve("in").resolve(name);
        Files.createDirectories(f.getParent());
        ImageIO.write(img, "png", f.toFile());
        return f;
    }

    private static TileCutter.Config config(int tile, int stride, BackgroundFilter filter, int maxTiles, long seed) {
        return new TileCutter.Config(tile, stride, filter, maxTiles, seed, HighDepthScale.DEPTH);
    }

    private static BackgroundFilter off() {
        return new BackgroundFilter(BackgroundFilter.Mode.OFF, 0.85, 0.07, 0.08, 0.5);
    }

    private static BagPlan bag(String id, int label, Path... files) {
        return new BagPlan(id, label, Stream.of(files).map(f -> new BagPlan.Image(f, f.getFileName().toString(),
                "")).toList());
    }

    private static List<String> tiles(Path out, String bagId) throws IOException {
        try (Stream<Path> s = Files.list(out.resolve("tiles").resolve(bagId))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void tileCountFollowsSizeAndStrideAndEdgeTilesAreNotCut() throws IOException {
        Path img = png("a.png", rgb(100, 70, PINK));

        TilesReport adjacent = new TileCutter(config(32, 32, off(), 0, 1)).run(List.of(bag("a", 1, img)),
                tmp.resolve("o1"));
        TilesReport overlapping = new TileCutter(config(32, 16, off(), 0, 1)).run(List.of(bag("a", 1, img)),
                tmp.resolve("o2"));

        assertThat(TileCutter.positions(100, 32, 32)).isEqualTo(3);
        assertThat(adjacent.rows().get(0).tiles()).isEqualTo(3 * 2);
        assertThat(tiles(tmp.resolve("o1"), "a")).hasSize(6).startsWith("000.png");
        assertThat(overlapping.rows().get(0).tiles()).isEqualTo(5 * 3);
        assertThat(tiles(tmp.resolve("o2"), "a")).hasSize(15);
    }

    @Test
    void backgroundFilterKeepsTissueAndDropsWhiteAndUnstainedTiles() throws IOException {
        BufferedImage img = rgb(96, 32, PINK);
        for (int y = 0; y < 32; y++) {
            for (int x = 32; x < 96; x++) {
                img.setRGB(x, y, x < 64 ? WHITE : PALE_GREY);
            }
        }
        Path out = tmp.resolve("out");

        TilesReport r = new TileCutter(config(32, 32, BackgroundFilter.defaults(), 0, 1))
                .run(List.of(bag("s", 1, png("s.png", img))), out);

        assertThat(r.rows().get(0).tiles()).isEqualTo(3);
        assertThat(r.rows().get(0).background()).isEqualTo(2);
        assertThat(tiles(out, "s")).containsExactly("000.png");
        float[] tile = TileImages.read(out.resolve("tiles/s/000.png"), new TileFormat(3, 32));
        assertThat(tile[0]).isEqualTo(0xE6 / 255f);
        assertThat(Files.readString(out.resolve(TileCutter.ORIGINS))).contains("s,000.png,s.png,0,0,0");
    }

    @Test
    void aGreyImageStoredAsRgbIsNotTakenForBackgroundAndIsWrittenGrey() throws IOException {
        Path out = tmp.resolve("out");

        TilesReport r = new TileCutter(config(16, 16, BackgroundFilter.defaults(), 0, 1))
                .run(List.of(bag("g", 0, png("g.png", rgb(32, 16, 0x646464)))), out);

        assertThat(r.rows().get(0).kept()).isEqualTo(2);
        assertThat(r.channels()).isEqualTo(1);
        assertThat(ImageIO.read(out.resolve("tiles/g/000.png").toFile()).getColorModel().getNumComponents())
                .isEqualTo(1);
    }

    @Test
    void darkModeDropsBlackTilesOfGreyImages() throws IOException {
        BufferedImage img = new BufferedImage(32, 16, BufferedImage.TYPE_BYTE_GRAY);
        for (int y = 0; y < 16; y++) {
            for (int x = 16; x < 32; x++) {
                img.getRaster().setSample(x, y, 0, 120);
            }
        }
        BackgroundFilter dark = new BackgroundFilter(BackgroundFilter.Mode.DARK, 0.85, 0.07, 0.08, 0.5);
        Path out = tmp.resolve("out");

        new TileCutter(config(16, 16, dark, 0, 1)).run(List.of(bag("u", 1, png("u.png", img))), out);

        assertThat(Files.readString(out.resolve(TileCutter.ORIGINS))).contains("u,000.png,u.png,0,16,0")
                .doesNotContain(",0,0,0\n");
    }

    private Path tiff(String name, BufferedImage... pages) throws IOException {
        Path f = tmp.resolve("in").resolve(name);
        Files.createDirectories(f.getParent());
        ImageWriter w = ImageIO.getImageWritersByFormatName("tiff").next();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(f.toFile())) {
            w.setOutput(out);
            w.prepareWriteSequence(null);
            for (BufferedImage p : pages) {
                w.writeToSequence(new IIOImage(p, null, null), null);
            }
            w.endWriteSequence();
        } finally {
            w.dispose();
        }
        return f;
    }

    private static BufferedImage grey16(int w, int h, int value) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.getRaster().setSample(x, y, 0, x == 0 && y == 0 ? 0 : value);
            }
        }
        return img;
    }

    @Test
    void sixteenBitTiffIsScaledByBitDepthByImageRangeOrByAGivenMaximum() throws IOException {
        Path f = tiff("deep.tif", grey16(16, 16, 4095)); // 12-bit data in a 16-bit file
        TileFormat grey = new TileFormat(1, 16);
        float[] values = new float[3];
        String[] scales = {"depth", "image", "4095"};
        for (int i = 0; i < 3; i++) {
            Path out = tmp.resolve("o" + i);
            new TileCutter(new TileCutter.Config(16, 16, off(), 0, 1, HighDepthScale.parse(scales[i])))
                    .run(List.of(bag("d", 1, f)), out);
            values[i] = TileImages.read(out.resolve("tiles/d/000.png"), grey)[1];
        }

        assertThat(values[0]).isCloseTo(4095f / 65535f, org.assertj.core.data.Offset.offset(1e-5f));
        assertThat(values[1]).isEqualTo(1f);
        assertThat(values[2]).isEqualTo(1f);
        assertThat(ImageIO.read(tmp.resolve("o0/tiles/d/000.png").toFile()).getColorModel().getComponentSize(0))
                .isEqualTo(16);
    }

    @Test
    void jpegAndSixteenBitRgbTiffAreReadAsColour() throws IOException {
        Path jpeg = tmp.resolve("in/j.jpg");
        Files.createDirectories(jpeg.getParent());
        ImageIO.write(rgb(32, 32, 0x5040A0), "jpeg", jpeg.toFile());
        java.awt.image.ComponentColorModel cm = new java.awt.image.ComponentColorModel(
                java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB), new int[] {16, 16, 16},
                false, false, java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_USHORT);
        BufferedImage deep = new BufferedImage(cm, cm.createCompatibleWritableRaster(16, 16), false, null);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                deep.getRaster().setPixel(x, y, new int[] {60000, 30000, 45000});
            }
        }
        Path tif = tiff("rgb16.tif", deep);
        Path out = tmp.resolve("out");

        TilesReport r = new TileCutter(config(16, 16, BackgroundFilter.defaults(), 0, 1))
                .run(List.of(bag("j", 1, jpeg), bag("t", 0, tif)), out);

        assertThat(r.rows()).extracting(TilesReport.PageRow::channels).containsExactly(3, 3);
        assertThat(r.rows()).extracting(TilesReport.PageRow::bits).containsExactly(8, 16);
        assertThat(r.rows()).extracting(TilesReport.PageRow::kept).containsExactly(4, 1);
        float[] t = TileImages.read(out.resolve("tiles/t/000.png"), new TileFormat(3, 16));
        assertThat(t[0]).isEqualTo(Math.round(60000 / 65535f * 255) / 255f);
        assertThat(t[16 * 16]).isEqualTo(Math.round(30000 / 65535f * 255) / 255f);
    }

    @Test
    void eachPageOfAMultiPageTiffIsOneMoreImageOfTheBag() throws IOException {
        Path f = tiff("stack.tif", rgb(32, 32, PINK), rgb(32, 16, 0x5040A0), rgb(16, 32, PINK));
        Path out = tmp.resolve("out");

        TilesReport r = new TileCutter(config(16, 16, BackgroundFilter.defaults(), 0, 1))
                .run(List.of(bag("st", 1, f)), out);

        assertThat(r.rows()).extracting(TilesReport.PageRow::page).containsExactly(0, 1, 2);
        assertThat(r.rows()).extracting(TilesReport.PageRow::tiles).containsExactly(4, 2, 2);
        assertThat(tiles(out, "st")).hasSize(8);
        float[] fromPage1 = TileImages.read(out.resolve("tiles/st/004.png"), new TileFormat(3, 16));
        assertThat(fromPage1[0]).isEqualTo(0x50 / 255f);
    }

    @Test
    void maxTilesPicksTheSameSeededSubsetEveryTimeAndNotJustTheFirstTiles() throws IOException {
        Path img = png("big.png", rgb(128, 128, PINK));
        String[] origins = new String[3];
        long[] seeds = {7, 7, 8};
        for (int i = 0; i < 3; i++) {
            Path out = tmp.resolve("o" + i);
            TilesReport r = new TileCutter(config(16, 16, off(), 10, seeds[i])).run(List.of(bag("b", 1, img)), out);
            assertThat(r.bags().get(0).tiles()).isEqualTo(10);
            assertThat(r.rows().get(0).kept()).isEqualTo(64);
            origins[i] = Files.readString(out.resolve(TileCutter.ORIGINS));
        }

        assertThat(origins[1]).isEqualTo(origins[0]);
        assertThat(origins[2]).isNotEqualTo(origins[0]);
        assertThat(origins[0].lines().skip(1).map(l -> l.substring(l.indexOf(",big.png")))).isNotEqualTo(
                List.of(",big.png,0,0,0", ",big.png,0,16,0", ",big.png,0,32,0", ",big.png,0,48,0", ",big.png,0,64,0",
                        ",big.png,0,80,0", ",big.png,0,96,0", ",big.png,0,112,0", ",big.png,0,0,16", ",big.png,0,16,16"));
    }

    @Test
    void imagesThatKeepNoTileAreReportedAndTheirBagIsNotWritten() throws IOException {
        Path out = tmp.resolve("out");
        List<BagPlan> plans = List.of(bag("tissue", 1, png("t.png", rgb(32, 32, PINK))),
                bag("glass", 0, png("w.png", rgb(32, 32, WHITE))));

        TilesReport r = new TileCutter(config(16, 16, BackgroundFilter.defaults(), 0, 1)).run(plans, out);

        assertThat(r.bags()).extracting(TilesReport.WrittenBag::id).containsExactly("tissue");
        assertThat(r.droppedBags()).extracting(TilesReport.DroppedBag::id).containsExactly("glass");
        assertThat(r.warnings()).anyMatch(w -> w.contains("w.png kept 0 of 4 tiles"))
                .anyMatch(w -> w.contains("bag 'glass'") && w.contains("not written"));
        assertThat(Files.readString(out.resolve("bags.csv"))).isEqualTo("bag_id,label\ntissue,1\n");
        assertThat(Files.readString(out.resolve(TileCutter.REPORT))).contains("w.png,0,glass,0,32,32,1,8,4,4,0,0");
    }

    @Test
    void theOutputLoadsAsATileSiteWithTheReportedFormat() throws IOException {
        Path out = tmp.resolve("out");
        List<BagPlan> plans = List.of(bag("p", 1, png("p.png", rgb(64, 32, PINK))),
                bag("n", 0, png("n.png", rgb(32, 32, 0x7050A0))));

        TilesReport r = new TileCutter(config(32, 32, BackgroundFilter.defaults(), 0, 1)).run(plans, out);
        BagDataset site = BagDataset.load(out, new TileFormat(r.channels(), 32));

        assertThat(site.size()).isEqualTo(2);
        assertThat(site.labelCounts().positives()).isEqualTo(1);
        Bag first = site.bags().get(0);
        assertThat(first.instances()).isEqualTo(2);
        assertThat(first.dim()).isEqualTo(3 * 32 * 32);
        assertThat(Files.readString(out.resolve(TileCutter.MANIFEST))).contains("\"channels\" : 3");
    }

    @Test
    void everyBadImageIsNamedBeforeAnythingIsWritten() throws IOException {
        Path corrupt = Files.writeString(tmp.resolve("corrupt.png"), "not an image");
        Path small = png("small.png", rgb(20, 40, PINK));
        Path missing = tmp.resolve("missing.png");
        Path out = tmp.resolve("out");
        List<BagPlan> plans = List.of(bag("c", 1, corrupt), bag("s", 0, small), bag("m", 0, missing),
                bag("ok", 1, png("ok.png", rgb(32, 32, PINK))));

        assertThatThrownBy(() -> new TileCutter(config(32, 32, off(), 0, 1)).run(plans, out))
                .isInstanceOf(SourceDataException.class)
                .hasMessageContaining("3 problem(s)")
                .hasMessageContaining(corrupt + ": not a PNG, JPEG or TIFF image")
                .hasMessageContaining(small + ": is 20×40 pixels, smaller than the tile size 32; choose a smaller "
                        + "--tile-size")
                .hasMessageContaining(missing + ": not found");
        assertThat(out).doesNotExist();
    }

    @Test
    void aTruncatedPngIsNamedWhenItIsDecoded() throws IOException {
        Path whole = png("whole.png", rgb(64, 64, PINK));
        byte[] bytes = Files.readAllBytes(whole);
        Path cut = Files.write(tmp.resolve("cut.png"), java.util.Arrays.copyOf(bytes, bytes.length / 2));

        assertThatThrownBy(() -> new TileCutter(config(32, 32, off(), 0, 1)).run(List.of(bag("c", 1, cut)),
                tmp.resolve("out")))
                .hasMessageContaining(cut.toString()).hasMessageContaining("corrupt or truncated");
        assertThat(tmp.resolve("out/bags.csv")).doesNotExist();
    }

    @Test
    void csvRowsWithAPatientColumnMakeOneBagPerPatient() throws IOException {
        png("a1.png", rgb(32, 32, PINK));
        png("a2.png", rgb(64, 32, PINK));
        png("b1.png", rgb(32, 32, PINK));
        Path csv = Files.writeString(tmp.resolve("in/list.csv"),
                "image,diagnosis,patient\na1.png,tumour,P 01\nb1.png,normal,P02\na2.png,tumour,P 01\n");
        List<BagPlan> plans = ImageInputs.fromCsv(csv, "image", "diagnosis", Optional.of("patient"),
                ImageInputs.Labels.positive("tumour", List.of()));
        Path out = tmp.resolve("out");

        TilesReport r = new TileCutter(config(32, 32, off(), 0, 1)).run(plans, out);

        assertThat(plans).extracting(BagPlan::id).containsExactly("P_01", "P02");
        assertThat(r.bags()).containsExactly(new TilesReport.WrittenBag("P_01", 1, 3),
                new TilesReport.WrittenBag("P02", 0, 1));
        assertThat(Files.readString(out.resolve("bags.csv"))).isEqualTo("bag_id,label\nP_01,1\nP02,0\n");
    }

    @Test
    void csvErrorsNameTheRow() throws IOException {
        Files.createDirectories(tmp.resolve("in"));
        Path unknown = Files.writeString(tmp.resolve("in/u.csv"), "image,label\na.png,1\nb.png,benign\n");
        Path mixed = Files.writeString(tmp.resolve("in/m.csv"), "image,label,patient\na.png,1,p\nb.png,0,p\n");
        Path noColumn = Files.writeString(tmp.resolve("in/c.csv"), "file,label\na.png,1\n");
        Path third = Files.writeString(tmp.resolve("in/t.csv"), "image,label\na.png,m\nb.png,b\nc.png,x\n");

        assertThatThrownBy(() -> ImageInputs.fromCsv(unknown, "image", "label", Optional.empty(),
                ImageInputs.Labels.zeroOne())).hasMessageContaining(unknown + ": row 3: label 'benign' is not 0 or 1")
                .hasMessageContaining("--positive");
        assertThatThrownBy(() -> ImageInputs.fromCsv(mixed, "image", "label", Optional.of("patient"),
                ImageInputs.Labels.zeroOne())).hasMessageContaining("rows 2 and 3: patient 'p' has images labelled");
        assertThatThrownBy(() -> ImageInputs.fromCsv(noColumn, "image", "label", Optional.empty(),
                ImageInputs.Labels.zeroOne())).hasMessageContaining("no column 'image' (--image-column)")
                .hasMessageContaining("[file, label]");
        assertThatThrownBy(() -> ImageInputs.fromCsv(third, "image", "label", Optional.empty(),
                ImageInputs.Labels.positive("m", List.of("b")))).hasMessageContaining("row 4: label 'x' is neither");
    }

    @Test
    void aMissingImageNamedInTheCsvIsReportedWithItsRow() throws IOException {
        Files.createDirectories(tmp.resolve("in"));
        Path csv = Files.writeString(tmp.resolve("in/l.csv"), "image,label\n\"scans/gone.png\",1\n");
        List<BagPlan> plans = ImageInputs.fromCsv(csv, "image", "label", Optional.empty(),
                ImageInputs.Labels.zeroOne());

        assertThatThrownBy(() -> new TileCutter(config(32, 32, off(), 0, 1)).run(plans, tmp.resolve("out")))
                .hasMessageContaining("l.csv row 2: image 'scans/gone.png'").hasMessageContaining("not found")
                .hasMessageContaining("resolved against the CSV's folder");
    }

    @Test
    void classFoldersGiveLabelsByThePositiveNameAndIdsStaySafeAndUnique() throws IOException {
        png("data/malignant/case 1.png", rgb(32, 32, PINK));
        png("data/benign/case 1.png", rgb(32, 32, PINK));
        png("data/benign/x/b2.tif.png", rgb(32, 32, PINK));
        png("data/benign/.thumbs/t.png", rgb(32, 32, PINK));
        png("data/benign/._case 1.png", rgb(32, 32, PINK));
        Path dir = tmp.resolve("in/data");

        List<BagPlan> plans = ImageInputs.fromFolder(dir, ImageInputs.Labels.positive("malignant", List.of()));

        assertThat(plans).extracting(BagPlan::id, BagPlan::label).containsExactly(
                org.assertj.core.groups.Tuple.tuple("benign_case_1", 0), org.assertj.core.groups.Tuple.tuple("b2.tif", 0),
                org.assertj.core.groups.Tuple.tuple("malignant_case_1", 1));
        assertThatThrownBy(() -> ImageInputs.fromFolder(dir, ImageInputs.Labels.zeroOne()))
                .hasMessageContaining("[benign, malignant]").hasMessageContaining("--positive");
        assertThatThrownBy(() -> ImageInputs.fromFolder(dir, ImageInputs.Labels.positive("tumour", List.of())))
                .hasMessageContaining("no class folder 'tumour'");
    }
}
