package org.fedmil.mil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.RandomAccess;

import javax.imageio.ImageIO;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TileBagsTest {

    private static final TileFormat GREY4 = new TileFormat(1, 4);
    private static final TileFormat RGB4 = new TileFormat(3, 4);

    @TempDir
    Path dir;

    private void csv(String text) throws IOException {
        Files.writeString(dir.resolve("bags.csv"), text, StandardCharsets.UTF_8);
    }

    /** Writes an image with ImageIO ("png" or "jpg") as tiles/bag/name. */
    private Path tile(String bag, String name, BufferedImage image, String format) throws IOException {
        Path f = dir.resolve("tiles").resolve(bag).resolve(name);
        Files.createDirectories(f.getParent());
        assertThat(ImageIO.write(image, format, f.toFile())).as("ImageIO wrote " + format).isTrue();
        return f;
    }

    private Path png(String bag, String name, BufferedImage image) throws IOException {
        return tile(bag, name, image, "png");
    }

    /** A grey image with the given 8-bit values, row by row. */
    private static BufferedImage grey(int w, int h, int... values) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
        img.getRaster().setPixels(0, 0, w, h, values);
        return img;
    }

    private static BufferedImage uniformRgb(int w, int h, int r, int g, int b) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    private static float[] scaled(int... values) {
        float[] f = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            f[i] = values[i] / 255f;
        }
        return f;
    }

    private Bag onlyBag(TileFormat format) {
        return BagDataset.load(dir, format).bags().get(0);
    }

    @Test
    void greyPngAtTheFormatSizeGivesExactValuesRowByRow() throws IOException {
        csv("bag_id,label\na,1\n");
        int[] v = {0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 255};
        png("a", "01.png", grey(4, 4, v));
        png("a", "02.png", grey(4, 4, new int[16]));

        BagDataset d = BagDataset.load(dir, GREY4);
        Bag bag = d.bags().get(0);

        assertThat(d.isTiles()).isTrue();
        assertThat(d.tileFormat()).contains(GREY4);
        assertThat(d.dim()).isEqualTo(16);
        assertThat(bag.instances()).isEqualTo(2);
        assertThat(bag.dim()).isEqualTo(16);
        assertThat(bag.label()).isEqualTo(1);
        float[] want = Arrays.copyOf(scaled(v), 32); // tile 01, then the all-black tile 02
        assertThat(bag.features()).containsExactly(want);
    }

    @Test
    void rgbPngGivesChannelPlanesInChwOrder() throws IOException {
        csv("bag_id,label\na,0\n");
        BufferedImage img = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                img.setRGB(x, y, ((x * 60) << 16) | ((y * 80) << 8) | 7); // R by column, G by row, B constant
            }
        }
        png("a", "t.png", img);

        float[] f = onlyBag(RGB4).features();

        float[] r = scaled(0, 60, 120, 180, 0, 60, 120, 180, 0, 60, 120, 180, 0, 60, 120, 180);
        float[] g = scaled(0, 0, 0, 0, 80, 80, 80, 80, 160, 160, 160, 160, 240, 240, 240, 240);
        float[] b = scaled(7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7, 7);
        assertThat(Arrays.copyOfRange(f, 0, 16)).containsExactly(r);
        assertThat(Arrays.copyOfRange(f, 16, 32)).containsExactly(g);
        assertThat(Arrays.copyOfRange(f, 32, 48)).containsExactly(b);
    }

    @Test
    void greyReadAsThreeChannelsIsReplicated() throws IOException {
        csv("bag_id,label\na,0\n");
        int[] v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 250};
        png("a", "t.png", grey(4, 4, v));

        float[] f = onlyBag(RGB4).features();

        assertThat(f).hasSize(48);
        for (int c = 0; c < 3; c++) {
            assertThat(Arrays.copyOfRange(f, c * 16, c * 16 + 16)).as("channel " + c).containsExactly(scaled(v));
        }
    }

    @Test
    void rgbReadAsOneChannelIsItsLuminance() throws IOException {
        csv("bag_id,label\na,0\n");
        png("a", "t.png", uniformRgb(4, 4, 200, 100, 50));

        float[] f = onlyBag(GREY4).features();

        double want = (0.299 * 200 + 0.587 * 100 + 0.114 * 50) / 255; // 0.4806
        assertThat(f).hasSize(16);
        for (float x : f) {
            assertThat((double) x).isCloseTo(want, within(1e-6));
        }
    }

    @Test
    void aUniformImageStaysThatColourWhateverItsSize() throws IOException {
        csv("bag_id,label\na,0\n");
        png("a", "1-big.png", uniformRgb(37, 23, 10, 128, 250)); // shrunk, not square
        png("a", "2-small.png", uniformRgb(5, 5, 10, 128, 250)); // enlarged

        Bag bag = BagDataset.load(dir, new TileFormat(3, 8)).bags().get(0);

        assertThat(bag.instances()).isEqualTo(2);
        int plane = 64;
        float[] colour = scaled(10, 128, 250);
        for (int i = 0; i < bag.features().length; i++) {
            int c = (i / plane) % 3;
            assertThat(bag.features()[i]).as("value " + i).isCloseTo(colour[c], within(1e-6f));
        }
    }

    @Test
    void enlargingInterpolatesBilinearlyBetweenPixelCentres() throws IOException {
        csv("bag_id,label\na,0\n");
        png("a", "t.png", grey(2, 2, 0, 255, 0, 255)); // black left column, white right column

        float[] f = onlyBag(GREY4).features();

        // output pixel centres 0.25, 0.75, 1.25, 1.75 (in source pixels); source centres 0.5, 1.5
        float[] row = {0f, 0.25f, 0.75f, 1f};
        for (int y = 0; y < 4; y++) {
            assertThat(Arrays.copyOfRange(f, y * 4, y * 4 + 4)).as("row " + y).containsExactly(row, within(1e-6f));
        }
    }

    @Test
    void shrinkingAveragesFineDetailInsteadOfSamplingIt() throws IOException {
        csv("bag_id,label\na,0\n");
        int[] stripes = new int[12 * 12];
        for (int i = 0; i < stripes.length; i++) {
            stripes[i] = (i % 12) % 2 == 1 ? 255 : 0; // one-pixel vertical stripes
        }
        png("a", "t.png", grey(12, 12, stripes));

        float[] f = onlyBag(GREY4).features();

        // Point-sampling bilinear would land on single stripes at scale 3 and give 0 or 1.
        for (float x : f) {
            assertThat(x).isBetween(0.4f, 0.6f);
        }
    }

    @Test
    void jpegTilesLoadGreyAndColour() throws IOException {
        csv("bag_id,label\na,1\n");
        tile("a", "1.jpg", uniformRgb(16, 16, 30, 160, 220), "jpg");
        int[] v = new int[16 * 16];
        Arrays.fill(v, 90);
        tile("a", "2.JPEG", grey(16, 16, v), "jpg");

        Bag bag = BagDataset.load(dir, new TileFormat(3, 16)).bags().get(0);

        assertThat(bag.instances()).isEqualTo(2);
        float[] f = bag.features();
        int plane = 256;
        float[] colour = scaled(30, 160, 220);
        for (int c = 0; c < 3; c++) {
            // JPEG is lossy: a uniform block comes back within a few levels
            assertThat(f[c * plane + 77]).as("colour tile, channel " + c).isCloseTo(colour[c], within(4 / 255f));
            assertThat(f[3 * plane + c * plane + 77]).as("grey tile, channel " + c).isCloseTo(90 / 255f,
                    within(2 / 255f));
        }
    }

    @Test
    void sixteenBitGreyPaletteAndAlphaImagesAreConverted() throws IOException {
        csv("bag_id,label\na,0\n");
        BufferedImage grey16 = new BufferedImage(4, 4, BufferedImage.TYPE_USHORT_GRAY);
        int[] samples = new int[16];
        Arrays.fill(samples, 65535);
        samples[0] = 0;
        grey16.getRaster().setPixels(0, 0, 4, 4, samples);
        png("a", "1.png", grey16);

        IndexColorModel palette = new IndexColorModel(8, 2, new byte[] {0, (byte) 255}, new byte[] {0, 0},
                new byte[] {0, 0});
        BufferedImage indexed = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_INDEXED, palette);
        WritableRaster raster = indexed.getRaster();
        raster.setSample(3, 0, 0, 1); // one red pixel at (x 3, y 0), the rest black
        png("a", "2.png", indexed);

        BufferedImage argb = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                argb.setRGB(x, y, (x == 0 ? 0x00 : 0xFF) << 24 | 0x204080); // column 0 fully transparent
            }
        }
        png("a", "3.png", argb);

        float[] f = onlyBag(RGB4).features();

        assertThat(f).hasSize(3 * 48);
        assertThat(Arrays.copyOfRange(f, 0, 4)).containsExactly(0f, 1f, 1f, 1f); // 16-bit 0 and 65535
        assertThat(f[48 + 3]).isEqualTo(1f);      // palette: red plane, pixel (3, 0)
        assertThat(f[48 + 16 + 3]).isEqualTo(0f); // green plane
        assertThat(f[48]).isEqualTo(0f);
        // alpha dropped, not blended: the transparent column keeps its colour
        assertThat(new float[] {f[96], f[96 + 16], f[96 + 32]}).containsExactly(scaled(0x20, 0x40, 0x80));
    }

    @Test
    void tilesAreTheImageFilesInFileNameOrderOfAnyCase() throws IOException {
        csv("bag_id,label\na,0\n");
        png("a", "b.PNG", grey(4, 4, filled(16, 20)));
        png("a", "a.png", grey(4, 4, filled(16, 10)));
        tile("a", "c.Jpeg", grey(4, 4, filled(16, 30)), "jpg");
        Files.writeString(dir.resolve("tiles/a/notes.txt"), "not a tile");
        Files.writeString(dir.resolve("tiles/a/.hidden.png"), "editor junk, not a tile");

        BagDataset d = BagDataset.load(dir, GREY4);

        assertThat(d.tileFiles("a")).extracting(p -> p.getFileName().toString())
                .containsExactly("a.png", "b.PNG", "c.Jpeg");
        assertThat(d.tileFiles("a").get(0)).isEqualTo(dir.resolve("tiles/a/a.png"));
        Bag bag = d.bags().get(0);
        assertThat(bag.instances()).isEqualTo(3);
        assertThat(bag.features()[0]).isEqualTo(10 / 255f);
        assertThat(bag.features()[16]).isEqualTo(20 / 255f);
    }

    private static int[] filled(int n, int value) {
        int[] v = new int[n];
        Arrays.fill(v, value);
        return v;
    }

    @Test
    void loadDoesNotDecodeTilesAndACorruptTileFailsOnlyItsBag() throws IOException {
        csv("bag_id,label\na,0\nb,1\nc,1\n");
        png("a", "1.png", grey(4, 4, filled(16, 1)));
        png("b", "1.png", grey(4, 4, filled(16, 2)));
        Path corrupt = dir.resolve("tiles/b/2.png");
        Files.write(corrupt, "definitely not a PNG, just text".getBytes(StandardCharsets.US_ASCII));
        png("c", "1.png", grey(4, 4, filled(16, 3)));

        BagDataset d = BagDataset.load(dir, GREY4); // no exception: nothing decoded yet

        assertThat(d.size()).isEqualTo(3);
        assertThat(d.dim()).isEqualTo(16);
        assertThat(d.labelCounts()).isEqualTo(new LabelCounts(1, 2));
        assertThat(d.name()).isEqualTo(dir.toString());
        assertThat(d.bags().get(0).instances()).isEqualTo(1);
        assertThat(d.bags().get(2).features()[0]).isEqualTo(3 / 255f);
        assertThatThrownBy(() -> d.bags().get(1)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll(corrupt.toString(), "bag 'b' (bags.csv line 3)", "not a PNG or JPEG")
                .satisfies(e -> assertThat(((BagDataException) e).file()).contains(corrupt));
    }

    @Test
    void truncatedPngNamesTheFileAndTheBag() throws IOException {
        csv("bag_id,label\na,0\n");
        int[] noise = new int[32 * 32];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (i * 7919) % 251; // poorly compressible, so the image data spans most of the file
        }
        Path f = png("a", "1.png", grey(32, 32, noise));
        byte[] whole = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(whole, whole.length / 2));

        BagDataset d = BagDataset.load(dir, new TileFormat(1, 32));

        assertThatThrownBy(() -> d.bags().get(0)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll(f.toString(), "bag 'a' (bags.csv line 2)", "corrupt or truncated");
    }

    @Test
    void truncatedJpegIsRefusedNotFilledIn() throws IOException {
        csv("bag_id,label\na,0\n");
        BufferedImage img = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                img.setRGB(x, y, (x * 4 << 16) | ((y * 4) << 8) | ((x * y) & 0xFF));
            }
        }
        Path f = tile("a", "1.jpg", img, "jpg");
        byte[] whole = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(whole, whole.length * 2 / 3));

        BagDataset d = BagDataset.load(dir, new TileFormat(3, 64));

        assertThatThrownBy(() -> d.bags().get(0)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll(f.toString(), "bag 'a'", "corrupt or truncated");
    }

    @Test
    void emptyBagFolderNamesTheFolderAndTheLine() throws IOException {
        csv("bag_id,label\na,0\nb,1\n");
        png("a", "1.png", grey(4, 4, new int[16]));
        Files.createDirectories(dir.resolve("tiles/b"));
        Files.writeString(dir.resolve("tiles/b/readme.txt"), "no images here");

        assertThatThrownBy(() -> BagDataset.load(dir, GREY4)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll(dir.resolve("tiles/b").toString(), "bag 'b' (bags.csv line 3)",
                        "no tiles", ".png", "at least one instance");
    }

    @Test
    void missingBagFolderNamesTheFolderAndTheLine() throws IOException {
        csv("bag_id,label\na,0\nb,1\n");
        png("a", "1.png", grey(4, 4, new int[16]));

        assertThatThrownBy(() -> BagDataset.load(dir, GREY4)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll(dir.resolve("tiles/b").toString(), "bag 'b' (bags.csv line 3)",
                        "no tile folder", "tiles/b/");
    }

    @Test
    void tilesPutStraightIntoTheTilesFolderGetAHint() throws IOException {
        csv("bag_id,label\na,0\n");
        Files.createDirectories(dir.resolve("tiles"));
        ImageIO.write(grey(4, 4, new int[16]), "png", dir.resolve("tiles/a-1.png").toFile());

        assertThatThrownBy(() -> BagDataset.load(dir, GREY4))
                .hasMessageContainingAll("no tile folder", "holds image files directly", "tiles/<bag_id>/");
    }

    @Test
    void labelOtherThanZeroOrOneNamesTheLine() throws IOException {
        csv("bag_id,label\na,0\nb,2\n");
        png("a", "1.png", grey(4, 4, new int[16]));
        png("b", "1.png", grey(4, 4, new int[16]));

        assertThatThrownBy(() -> BagDataset.load(dir, GREY4)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll(dir.resolve("bags.csv").toString(), "line 3",
                        "label of bag 'b' must be 0 or 1", "'2'");
    }

    @Test
    void folderWithBothBagsAndTilesIsRefusedNamingBoth() throws IOException {
        csv("bag_id,label\na,0\n");
        png("a", "1.png", grey(4, 4, new int[16]));
        Npy.write(dir.resolve("bags/a.npy"), new Npy.Matrix(1, 2, new float[2]));

        for (var load : List.<Runnable>of(() -> BagDataset.load(dir, GREY4), () -> BagDataset.load(dir))) {
            assertThatThrownBy(load::run).isInstanceOf(BagDataException.class)
                    .hasMessageContainingAll(dir.toString(), "both", "bags/", "tiles/", "exactly one");
        }
    }

    @Test
    void tileSiteWithoutAFormatSaysWhereTheFormatComesFrom() throws IOException {
        csv("bag_id,label\na,0\n");
        png("a", "1.png", grey(4, 4, new int[16]));

        assertThatThrownBy(() -> BagDataset.load(dir)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll(dir.resolve("tiles").toString(), "no tile format",
                        "federation's model spec", "BagDataset.load(dir, TileFormat)");
    }

    @Test
    void folderWithNeitherSourceSaysWhatIsMissing() throws IOException {
        csv("bag_id,label\na,0\n");

        assertThatThrownBy(() -> BagDataset.load(dir, GREY4)).isInstanceOf(BagDataException.class)
                .hasMessageContainingAll("neither", "bags/", "tiles/");
    }

    @Test
    void npySiteLoadsAsBeforeWhenAFormatIsGiven() throws IOException {
        csv("bag_id,label\na,0\nb,1\n");
        Npy.write(dir.resolve("bags/a.npy"), new Npy.Matrix(2, 3, new float[] {1, 2, 3, 4, 5, 6}));
        Npy.write(dir.resolve("bags/b.npy"), new Npy.Matrix(1, 3, new float[] {7, 8, 9}));

        BagDataset d = BagDataset.load(dir, GREY4);

        assertThat(d.isTiles()).isFalse();
        assertThat(d.tileFormat()).isEmpty();
        assertThat(d.dim()).isEqualTo(3);
        assertThat(d.bags().get(1).features()).containsExactly(7, 8, 9);
        assertThatThrownBy(() -> d.tileFiles("a")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not image tiles");
    }

    @Test
    void bagsOfATileSiteAreAnUnmodifiableListReadFromDiskOnEveryGet() throws IOException {
        csv("bag_id,label\na,0\n");
        Path f = png("a", "1.png", grey(4, 4, filled(16, 10)));
        BagDataset d = BagDataset.load(dir, GREY4);
        List<Bag> bags = d.bags();

        Bag before = bags.get(0);
        png("a", "1.png", grey(4, 4, filled(16, 200)));
        Bag after = bags.get(0);

        assertThat(bags).isInstanceOf(RandomAccess.class).hasSize(1);
        assertThat(before.features()[0]).isEqualTo(10 / 255f);
        assertThat(after.features()[0]).isEqualTo(200 / 255f);
        assertThat(before).isNotSameAs(after);
        assertThatThrownBy(() -> bags.add(before)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> bags.set(0, before)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> bags.remove(0)).isInstanceOf(UnsupportedOperationException.class);
        assertThat(f).exists();
    }

    @Test
    void tileFilesOfAnUnknownBagIsRefused() throws IOException {
        csv("bag_id,label\na,0\n");
        png("a", "1.png", grey(4, 4, new int[16]));

        BagDataset d = BagDataset.load(dir, GREY4);

        assertThatThrownBy(() -> d.tileFiles("zz")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no bag 'zz'");
    }

    @Test
    void unlistedBagFoldersAreIgnored() throws IOException {
        csv("bag_id,label\na,1\n");
        png("a", "1.png", grey(4, 4, new int[16]));
        png("forgotten", "1.png", grey(4, 4, new int[16]));

        BagDataset d = BagDataset.load(dir, GREY4);

        assertThat(d.size()).isEqualTo(1);
        assertThat(d.bags()).extracting(Bag::id).containsExactly("a");
        assertThat(d.toString()).contains("1×4×4 tiles");
    }

    @Test
    void brokenSymlinkTileNamesTheLink() throws IOException {
        csv("bag_id,label\na,0\n");
        Path link = dir.resolve("tiles/a/1.png");
        Files.createDirectories(link.getParent());
        try {
            Files.createSymbolicLink(link, dir.resolve("gone.png"));
        } catch (UnsupportedOperationException | IOException e) {
            org.junit.jupiter.api.Assumptions.abort("no symbolic links here: " + e);
        }

        BagDataset d = BagDataset.load(dir, GREY4);

        assertThatThrownBy(() -> d.bags().get(0)).hasMessageContainingAll(link.toString(), "broken link");
    }
}
