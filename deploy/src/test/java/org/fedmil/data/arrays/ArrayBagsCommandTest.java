package org.fedmil.data.arrays;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.fedmil.cli.Fedmil;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.NpyArray;
import org.fedmil.mil.data.TileFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil data bags} as a user runs it: an .npz in, a site folder that train-local trains on out. */
class ArrayBagsCommandTest {

    private static final int N = 300;
    private static final int SIDE = 12;

    @TempDir
    Path tmp;

    /** Keras-style mnist.npz stand-in: x_train uint8 [N, 12, 12], class 0-4; class 4 images are bright. */
    private Path npz() throws IOException {
        Random rng = new Random(1);
        ByteBuffer x = ByteBuffer.allocate(N * SIDE * SIDE);
        ByteBuffer y = ByteBuffer.allocate(N * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < N; i++) {
            int c = i % 5;
            y.putLong(c);
            for (int p = 0; p < SIDE * SIDE; p++) {
                x.put((byte) (c == 4 ? 200 + rng.nextInt(56) : rng.nextInt(60)));
            }
        }
        Path file = tmp.resolve("mnist.npz");
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            zip.putNextEntry(new ZipEntry("x_train.npy"));
            new NpyArray("x", "|u1", new long[] {N, SIDE, SIDE}, x.flip()).writeTo(zip);
            zip.closeEntry();
            zip.putNextEntry(new ZipEntry("y_train.npy"));
            new NpyArray("y", "<i8", new long[] {N}, y.flip()).writeTo(zip);
            zip.closeEntry();
        }
        return file;
    }

    private static int run(StringWriter text, String... args) {
        CommandLine cli = Fedmil.commandLine().setOut(new PrintWriter(text)).setErr(new PrintWriter(text));
        return cli.execute(args);
    }

    @Test
    void bagsFromAnNpzLoadAndTrainLocalTrainsOnThem() throws IOException {
        Path npz = npz();
        StringWriter text = new StringWriter();
        String[] common = {"--images", npz.toString(), "--images-array", "x_train", "--labels-array", "y_train",
                "--target-class", "4", "--bag-size-mean", "5", "--bag-size-std", "1", "--balance"};

        int train = run(text, concat(new String[] {"data", "bags", "--out", tmp.resolve("train").toString(),
                "--bags", "40", "--seed", "1"}, common));
        int heldout = run(text, concat(new String[] {"data", "bags", "--out", tmp.resolve("heldout").toString(),
                "--bags", "20", "--seed", "2"}, common));
        assertThat(train).as(text.toString()).isZero();
        assertThat(heldout).as(text.toString()).isZero();
        assertThat(text.toString()).contains("wrote 40 bags (20 positive", "tile format channels 1, size 12");
        BagDataset site = BagDataset.load(tmp.resolve("train"), new TileFormat(1, SIDE));
        assertThat(site.size()).isEqualTo(40);

        int trained = run(text, "train-local", "--data", tmp.resolve("train").toString(), "--heldout",
                tmp.resolve("heldout").toString(), "--tile-size", Integer.toString(SIDE), "--channels", "1",
                "--epochs", "2");
        assertThat(trained).as(text.toString()).isZero();
        assertThat(text.toString()).containsPattern("held-out .* \\(20 bags\\): AUC \\d\\.\\d{3}");
    }

    @Test
    void aNonEmptyOutputNeedsForceAndABadArrayIsOneLine() throws IOException {
        Path npz = npz();
        Files.createDirectories(tmp.resolve("full"));
        Files.writeString(tmp.resolve("full/notes.txt"), "x");
        StringWriter text = new StringWriter();

        int full = run(text, "data", "bags", "--images", npz.toString(), "--images-array", "x_train",
                "--labels-array", "y_train", "--target-class", "4", "--out", tmp.resolve("full").toString());
        int missing = run(text, "data", "bags", "--images", npz.toString(), "--target-class", "4", "--out",
                tmp.resolve("o").toString());

        assertThat(full).isEqualTo(2);
        assertThat(text.toString()).contains("bags: " + tmp.resolve("full") + " is not empty", "--force");
        assertThat(missing).isEqualTo(2);
        assertThat(text.toString()).contains("bags: " + npz + ": holds no array named 'images'",
                "[x_train, y_train]");
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
