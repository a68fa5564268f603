package org.fedmil.config;

/** A configuration file or value that cannot be used; the message names the file, the key and what is expected. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
