package org.fedmil.pki;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A party's files are staged in a private sibling directory and published with one rename, so
 * a crash or a full disk never leaves a half-issued folder (a key without its certificate) that
 * a later run would mistake for a finished one.
 */
final class DurableFiles {

    static final Set<PosixFilePermission> OWNER_ONLY_FILE = PosixFilePermissions.fromString("rw-------");
    static final Set<PosixFilePermission> OWNER_ONLY_DIR = PosixFilePermissions.fromString("rwx------");

    private static final SecureRandom RANDOM = new SecureRandom();

    private DurableFiles() {
    }

    /** Creates an owner-only directory next to {@code target}, to fill and then {@link #publish}. */
    static Path stagingDirFor(Path target) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        String suffix = HexFormat.of().formatHex(randomBytes());
        Path staging = parent.resolve("." + target.getFileName() + ".staging-" + suffix);
        return Files.createDirectory(staging, ownerOnly(parent, OWNER_ONLY_DIR));
    }

    /**
     * Writes a new file and flushes it to disk. A secret gets rw------- at creation, so there is
     * no moment in which another user could open it.
     */
    static void createFile(Path file, byte[] content, boolean secret) throws IOException {
        FileAttribute<?>[] attributes = secret ? ownerOnly(file.getParent(), OWNER_ONLY_FILE) : new FileAttribute<?>[0];
        try (FileChannel channel = FileChannel.open(file,
                EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), attributes)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    /**
     * Renames a filled staging directory to {@code target}. rename(2) refuses a non-empty
     * target, so two operators racing cannot both publish, and an existing folder is never
     * replaced.
     */
    static void publish(Path staging, Path target) throws IOException {
        fsyncDirectory(staging);
        try {
            Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (DirectoryNotEmptyException | FileAlreadyExistsException e) {
            deleteRecursively(staging);
            throw new PkiException(target + " already exists; it was not changed");
        } catch (FileSystemException e) {
            deleteRecursively(staging);
            if (Files.exists(target)) {
                throw new PkiException(target + " already exists; it was not changed");
            }
            throw e;
        }
        fsyncDirectory(target.toAbsolutePath().getParent());
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** True when {@code dir} is absent or an empty directory, which a rename may take over. */
    static boolean isAbsentOrEmptyDir(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return true;
        }
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }

    private static void fsyncDirectory(Path dir) throws IOException {
        // Makes the new directory entries themselves durable; without it a rename can be lost
        // on power failure even though the file contents were flushed.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Some filesystems (and non-POSIX platforms) cannot open a directory for fsync; the
            // data itself is already flushed, so this only weakens durability of the name.
            if (supportsPosix(dir)) {
                throw e;
            }
        }
    }

    private static FileAttribute<?>[] ownerOnly(Path near, Set<PosixFilePermission> permissions) {
        // On a filesystem without POSIX permissions (Windows) the folder ACLs of the user's
        // profile are what protects the key; there is nothing to set here.
        return supportsPosix(near)
                ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
                : new FileAttribute<?>[0];
    }

    private static boolean supportsPosix(Path near) {
        return near.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[6];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
