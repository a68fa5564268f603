package org.fedmil.mil.model;

import java.nio.file.Path;

/**
 * A model file cannot be read as it stands. The message names the file, what is wrong with it and what to do;
 * unchecked because a caller cannot repair a file programmatically.
 */
public final class ModelFileException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient Path file;

    public ModelFileException(Path file, String message) {
        this(file, message, null);
    }

    public ModelFileException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
        this.file = file;
    }

    /** The model file the problem was found in. */
    public Path file() {
        return file;
    }
}
