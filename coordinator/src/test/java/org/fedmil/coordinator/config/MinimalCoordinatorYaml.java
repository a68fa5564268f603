package org.fedmil.coordinator.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A coordinator.yaml beside placeholder certificate files and an empty held-out folder: what a config test needs
 * besides the keys it is about (loading checks that the files exist, not what they hold).
 */
final class MinimalCoordinatorYaml {

    private MinimalCoordinatorYaml() {
    }

    /** The tls files and the held-out folder the minimal yaml names, plus {@code more} placeholder files. */
    static void placeholders(Path dir, String... more) throws IOException {
        for (String f : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(f), "placeholder: only existence is checked when loading the config");
        }
        for (String f : more) {
            Files.writeString(dir.resolve(f), "placeholder: only existence is checked when loading the config");
        }
        Files.createDirectories(dir.resolve("heldout"));
    }

    /** dir/coordinator.yaml with the tls section and heldout_dir, then {@code extra}. */
    static Path write(Path dir, String extra) throws IOException {
        Path file = dir.resolve("coordinator.yaml");
        Files.writeString(file, """
                tls:
                  cert: cert.pem
                  key: key.pem
                  ca: ca.pem
                heldout_dir: heldout
                """ + extra);
        return file;
    }
}
