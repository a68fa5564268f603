package org.fedmil.pki;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorOutputStream;

/**
 * One party's startup kit: a folder of the files it installs, published in one rename (a crash never leaves half a
 * kit), and optionally the same folder as a .tar.gz to send. The folder and the archive are owner-only, and the key
 * is rw------- in both: they carry a private key.
 */
final class StartupKit {

    private static final int OWNER_ONLY_DIR = 0700;
    private static final int OWNER_ONLY_FILE = 0600;
    private static final int READABLE_FILE = 0644;

    private record Entry(String name, byte[] content, boolean secret) {
    }

    private final String name;
    private final List<Entry> entries = new ArrayList<>();

    /** @param name the kit's folder name, e.g. {@code site-hospital-a} */
    StartupKit(String name) {
        this.name = name;
    }

    String name() {
        return name;
    }

    StartupKit text(String file, String content) {
        entries.add(new Entry(file, content.getBytes(StandardCharsets.UTF_8), false));
        return this;
    }

    StartupKit copy(String file, Path source, boolean secret) throws IOException {
        entries.add(new Entry(file, Files.readAllBytes(source), secret));
        return this;
    }

    /** The party's key, certificate and CA certificate under their usual names. */
    StartupKit credentials(PartyCredentials party) throws IOException {
        return copy(PartyCredentials.KEY_FILE, party.key(), true)
                .copy(PartyCredentials.CERT_FILE, party.cert(), false)
                .copy(PartyCredentials.CA_FILE, party.ca(), false);
    }

    /**
     * Writes {@code out/<name>/} and, with {@code archive}, {@code out/<name>.tar.gz}; refuses when either exists,
     * before writing anything.
     *
     * @return the kit folder
     */
    Path writeTo(Path out, boolean archive) throws IOException {
        requireAbsent(out, name, archive);
        Path folder = out.resolve(name);
        Path tarball = out.resolve(name + ".tar.gz");
        Path staging = DurableFiles.stagingDirFor(folder);
        try {
            for (Entry e : entries) {
                DurableFiles.createFile(staging.resolve(e.name()), e.content(), e.secret());
            }
        } catch (IOException | RuntimeException e) {
            DurableFiles.deleteRecursively(staging);
            throw e;
        }
        DurableFiles.publish(staging, folder);
        if (archive) {
            Path partial = out.resolve("." + name + ".tar.gz.partial");
            Files.deleteIfExists(partial);
            DurableFiles.createFile(partial, tarGz(), true);
            Files.move(partial, tarball, StandardCopyOption.ATOMIC_MOVE);
        }
        return folder;
    }

    /** Refuses a kit that exists already: a kit holds a key, and is never overwritten. */
    static void requireAbsent(Path out, String name, boolean archive) {
        Path folder = out.resolve(name);
        Path tarball = out.resolve(name + ".tar.gz");
        for (Path existing : archive ? List.of(folder, tarball) : List.of(folder)) {
            if (Files.exists(existing)) {
                throw new PkiException(existing + " already exists; it was not changed (move it away to write the kit "
                        + "again)");
            }
        }
    }

    /** The kit as {@code <name>/...} in a gzip'd tar, modes kept; kits are a few kilobytes, built in memory. */
    private byte[] tarGz() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GzipCompressorOutputStream(bytes))) {
            TarArchiveEntry dir = new TarArchiveEntry(name + "/");
            dir.setMode(TarArchiveEntry.DEFAULT_DIR_MODE & ~0777 | OWNER_ONLY_DIR);
            tar.putArchiveEntry(dir);
            tar.closeArchiveEntry();
            for (Entry e : entries) {
                TarArchiveEntry file = new TarArchiveEntry(name + "/" + e.name());
                file.setSize(e.content().length);
                file.setMode(TarArchiveEntry.DEFAULT_FILE_MODE & ~0777 | (e.secret() ? OWNER_ONLY_FILE : READABLE_FILE));
                tar.putArchiveEntry(file);
                tar.write(e.content());
                tar.closeArchiveEntry();
            }
        }
        return bytes.toByteArray();
    }
}
