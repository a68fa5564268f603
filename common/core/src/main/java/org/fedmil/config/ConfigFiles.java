package org.fedmil.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.stream.Collectors;

/**
 * Reads the YAML configuration files (snake_case keys). Unknown keys and wrong types are refused
 * with the file, the key path and what was expected, because a silently ignored typo in a hospital's config
 * is a bug nobody finds.
 */
public final class ConfigFiles {

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private ConfigFiles() {
    }

    public static <T> T read(Path file, Class<T> type) {
        return read(file, type, ConfigOverrides.none());
    }

    /** As {@link #read(Path, Class)}, with command-line values put in place of the file's before it is checked. */
    public static <T> T read(Path file, Class<T> type, ConfigOverrides overrides) {
        String text;
        try {
            text = Files.readString(file);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such configuration file");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new ConfigException(org.fedmil.util.Unreadable.notReadable(e), e);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        if (text.isBlank()) {
            throw new ConfigException(file + ": the file is empty");
        }
        try {
            if (overrides.isEmpty()) {
                return YAML.readValue(text, type);
            }
            JsonNode tree = YAML.readTree(text);
            if (!(tree instanceof ObjectNode root)) {
                throw new ConfigException(file + ": expected a mapping of keys to values at the top of the file");
            }
            overrides.applyTo(root);
            return YAML.treeToValue(root, type);
        } catch (UnrecognizedPropertyException e) {
            String known = e.getKnownPropertyIds() == null ? "" : e.getKnownPropertyIds().stream()
                    .map(Object::toString).sorted().collect(Collectors.joining(", "));
            throw new ConfigException(file + keyLine(text, e) + ": unknown key '" + keyPath(e) + "'; expected one of: " + known, e);
        } catch (InvalidFormatException e) {
            throw new ConfigException(file + line(e) + ": key '" + keyPath(e) + "' has value '" + e.getValue()
                    + "', expected " + e.getTargetType().getSimpleName(), e);
        } catch (MismatchedInputException e) {
            throw new ConfigException(file + line(e) + ": key '" + keyPath(e) + "': " + e.getOriginalMessage(), e);
        } catch (JsonMappingException e) {
            Throwable root = e.getCause() != null ? e.getCause() : e;
            throw new ConfigException(file + line(e) + ": key '" + keyPath(e) + "': " + root.getMessage(), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + line(e) + ": not valid YAML: " + e.getOriginalMessage(), e);
        }
    }

    private static String line(JsonProcessingException e) {
        // values read from a tree with command-line overrides in it have no line (Jackson says -1 or 0)
        return e.getLocation() == null || e.getLocation().getLineNr() < 1 ? "" : ":" + e.getLocation().getLineNr();
    }

    /**
     * The line of the unknown key itself. Records are built from buffered properties, so Jackson's location
     * points at the end of the enclosing mapping; the key's own line is what a person needs.
     */
    private static String keyLine(String text, UnrecognizedPropertyException e) {
        java.util.regex.Pattern key = java.util.regex.Pattern.compile(
                "^\\s*['\"]?" + java.util.regex.Pattern.quote(e.getPropertyName()) + "['\"]?\\s*:");
        String[] lines = text.split("\\R", -1);
        for (int i = 0; i < lines.length; i++) {
            if (key.matcher(lines[i]).find()) {
                return ":" + (i + 1);
            }
        }
        return line(e);
    }

    private static String keyPath(JsonMappingException e) {
        return e.getPath().stream()
                .map(ref -> ref.getFieldName() != null ? ref.getFieldName() : "[" + ref.getIndex() + "]")
                .collect(Collectors.joining("."));
    }

    /** A path from a config file, relative to the file's folder when not absolute. */
    public static Path resolve(Path configFile, Path value) {
        if (value == null || value.isAbsolute()) {
            return value;
        }
        Path base = configFile.toAbsolutePath().getParent();
        return base.resolve(value).normalize();
    }
}
