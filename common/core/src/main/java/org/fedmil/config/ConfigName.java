package org.fedmil.config;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** An enum constant as it is spelled in config files and on the wire ("gated_attention", "focal"). */
public interface ConfigName {

    String configName();

    /**
     * The constant of {@code type} spelled {@code name} (case and surrounding blanks ignored); {@code fallback}
     * when the name is empty or null, or an error naming what was asked for and listing every choice.
     *
     * @param what what the name is of, for the error: "MIL architecture", "loss"
     */
    static <E extends Enum<E> & ConfigName> E parse(Class<E> type, String name, E fallback, String what) {
        String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        if (n.isEmpty() && fallback != null) {
            return fallback;
        }
        for (E e : type.getEnumConstants()) {
            if (e.configName().equals(n)) {
                return e;
            }
        }
        throw new IllegalArgumentException("unknown " + what + " '" + name + "'; expected one of "
                + Arrays.stream(type.getEnumConstants()).map(ConfigName::configName)
                .collect(Collectors.joining(", ")));
    }
}
