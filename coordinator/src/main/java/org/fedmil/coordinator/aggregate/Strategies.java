package org.fedmil.coordinator.aggregate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * The strategy registry: configuration name → {@link StrategyType}. The rows are the {@code public static final
 * StrategyType} fields of the classes of this package, found when the registry is first used, so a new strategy is
 * its one class (and its row in docs/configuration.md), with no list to extend here.
 */
public final class Strategies {

    private static final Map<String, StrategyType<?>> TYPES = discover();

    private Strategies() {
    }

    /** Every registered name, sorted. */
    public static List<String> names() {
        return List.copyOf(TYPES.keySet());
    }

    public static Optional<StrategyType<?>> type(String name) {
        return Optional.ofNullable(TYPES.get(name));
    }

    public static List<StrategyType<?>> types() {
        return List.copyOf(TYPES.values());
    }

    private static Map<String, StrategyType<?>> discover() {
        Map<String, StrategyType<?>> found = new TreeMap<>();
        String pkg = Strategies.class.getPackageName();
        for (String className : classesOf(pkg)) {
            Class<?> c;
            try {
                c = Class.forName(className, true, Strategies.class.getClassLoader());
            } catch (ClassNotFoundException | LinkageError e) {
                throw new IllegalStateException("cannot load " + className + " while listing strategies", e);
            }
            for (Field f : c.getDeclaredFields()) {
                int m = f.getModifiers();
                if (f.getType() == StrategyType.class && Modifier.isStatic(m) && Modifier.isPublic(m)) {
                    StrategyType<?> t = (StrategyType<?>) get(f);
                    StrategyType<?> twice = found.put(t.name(), t);
                    if (twice != null) {
                        throw new IllegalStateException("two strategies are named '" + t.name() + "': "
                                + twice.params().getName() + " and " + t.params().getName());
                    }
                }
            }
        }
        if (found.isEmpty()) {
            throw new IllegalStateException("no strategy found in package " + pkg + " (loaded from "
                    + Strategies.class.getResource(Strategies.class.getSimpleName() + ".class") + ")");
        }
        return Collections.unmodifiableMap(found);
    }

    private static Object get(Field f) {
        try {
            return f.get(null);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    // the top-level classes of the package, from the folder or the jar this class was loaded from
    private static List<String> classesOf(String pkg) {
        URL self = Strategies.class.getResource(Strategies.class.getSimpleName() + ".class");
        String folder = pkg.replace('.', '/') + "/";
        List<String> names = new ArrayList<>();
        try {
            if ("jar".equals(self.getProtocol())) {
                JarURLConnection connection = (JarURLConnection) self.openConnection();
                connection.setUseCaches(false);
                try (JarFile jar = connection.getJarFile()) {
                    for (JarEntry e : Collections.list(jar.entries())) {
                        String n = e.getName();
                        if (n.startsWith(folder) && n.indexOf('/', folder.length()) < 0) {
                            names.add(n);
                        }
                    }
                }
            } else {
                try (Stream<Path> files = Files.list(Path.of(self.toURI()).getParent())) {
                    files.forEach(p -> names.add(folder + p.getFileName()));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list the strategies of " + self, e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException("cannot list the strategies of " + self, e);
        }
        return names.stream().filter(n -> n.endsWith(".class") && !n.contains("$"))
                .map(n -> n.substring(0, n.length() - ".class".length()).replace('/', '.')).sorted().toList();
    }
}
