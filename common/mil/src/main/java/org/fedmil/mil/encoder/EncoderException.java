package org.fedmil.mil.encoder;

import java.nio.file.Path;

/** An encoder file is missing, not TorchScript, or does not fit the tiles; the message names the file. */
public final class EncoderException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EncoderException(Path file, String message) {
        super(file + ": " + message);
    }

    public EncoderException(Path file, String message, Throwable cause) {
        super(file + ": " + message, cause);
    }
}
