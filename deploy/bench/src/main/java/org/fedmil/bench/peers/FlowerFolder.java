package org.fedmil.bench.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Flower's source folder as the run needs it. ../shared/peers/flower is read-only and its shims want a link
 * {@code shims/Crypto} to Debian's pycryptodome ({@code Cryptodome}), so a folder without that link is copied into
 * the work folder once and the link made there (as its README says).
 */
final class FlowerFolder {

    private static final Path DEBIAN_CRYPTODOME = Path.of("/usr/lib/python3/dist-packages/Cryptodome");

    private FlowerFolder() {
    }

    /** The folder to put on PYTHONPATH, or null to use the Python's own Flower. */
    static Path prepare(Path given, Path work) throws IOException {
        Path source = given;
        if (source == null) {
            Path shared = Path.of("..", "shared", "peers", "flower");
            if (!Files.isDirectory(shared.resolve("flwr"))) {
                return null;
            }
            source = shared;
        }
        if (!Files.isDirectory(source.resolve("flwr"))) {
            throw new IllegalArgumentException("--flower " + source + " holds no flwr package folder; point it at a "
                    + "copy of ../shared/peers/flower, or leave it out to use a Flower installed with pip");
        }
        if (!Files.isDirectory(source.resolve("shims")) || Files.exists(source.resolve("shims/Crypto"))
                || !Files.isDirectory(DEBIAN_CRYPTODOME)) {
            return source.toAbsolutePath();
        }
        Path copy = work.resolve("flower-peer").toAbsolutePath();
        if (!Files.isDirectory(copy.resolve("flwr"))) {
            PeersBenchCommand.deleteRecursively(copy);
            try (var paths = Files.walk(source)) {
                for (Path p : paths.toList()) {
                    Path to = copy.resolve(source.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(to);
                    } else {
                        Files.copy(p, to, StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        Path link = copy.resolve("shims/Crypto");
        if (!Files.exists(link)) {
            Files.createSymbolicLink(link, DEBIAN_CRYPTODOME);
        }
        return copy;
    }
}
