package org.fedmil.data;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/** The data commands' rule for their output folder: new or empty, unless the user passes --force. */
public final class OutputFolder {

    private OutputFolder() {
    }

    /** Whether {@code out} may be written; if not, says why on {@code err} (prefixed by the command name). */
    public static boolean usable(Path out, boolean force, String command, PrintWriter err) throws IOException {
        if (force || !Files.isDirectory(out)) {
            return true;
        }
        try (Stream<Path> entries = Files.list(out)) {
            if (entries.findAny().isPresent()) {
                err.println(command + ": " + out + " is not empty; choose a new folder or pass --force to "
                        + "overwrite (each site's tiles/ folder is replaced)");
                err.flush();
                return false;
            }
        }
        return true;
    }
}
