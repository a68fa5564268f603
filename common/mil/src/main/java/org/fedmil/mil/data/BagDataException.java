package org.fedmil.mil.data;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A site's bag data cannot be used as it stands. Unchecked, because the caller cannot recover
 * programmatically: the message is for the person who prepared the data, and names the file (and where
 * applicable the bags.csv line or the bag id) together with what to change.
 */
public final class BagDataException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String detail;

    public BagDataException(Path file, String message) {
        this(file, message, null);
    }

    public BagDataException(Path file, String message, Throwable cause) {
        super(file == null ? message : file + ": " + message, cause);
        this.file = file;
        this.detail = message;
    }

    /** The file the problem was found in, if there is one. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** The message without the file name, for callers that add context in front of it. */
    public String detail() {
        return detail;
    }
}
