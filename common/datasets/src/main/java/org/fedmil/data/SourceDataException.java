package org.fedmil.data;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A public data set that site folders are generated from (Fashion-MNIST, crc-nuclei) is missing or not as
 * expected. The message names the file (and line, where there is one) and what to do.
 */
public final class SourceDataException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String detail;

    public SourceDataException(Path file, String message) {
        this(file, message, null);
    }

    public SourceDataException(Path file, String message, Throwable cause) {
        super(file == null ? message : file + ": " + message, cause);
        this.file = file;
        this.detail = message;
    }

    /** The file the problem was found in, if there is one. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** What is wrong with the file, without its name: for a caller that lists problems by file itself. */
    public String detail() {
        return detail;
    }
}
