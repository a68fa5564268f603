package org.fedmil.coordinator.config;

import java.nio.file.Path;
import org.fedmil.config.ConfigException;

/** The one form of a refused config value: the file, the key, the value found and what was expected. */
final class KeyCheck {

    private KeyCheck() {
    }

    static void check(Path file, boolean ok, String key, Object value, String expected) {
        if (!ok) {
            throw new ConfigException(file + ": key '" + key + "' is " + value + ", expected " + expected);
        }
    }
}
