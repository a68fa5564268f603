package org.fedmil.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/architecture.md against the source tree: every main package is named, by its full name, in the section of
 * the module that holds it ({@code ### `common/core`}), and every {@code org.fedmil.…} package the page names
 * exists. Main packages are the folders under a module's {@code src/main/java} that hold .java files (generated
 * protobuf code under {@code target/} is not a source folder and is not counted).
 */
class ArchitectureDocTest {

    /** The repository root: deploy's tests run in the deploy module's folder. */
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Path DOC = ROOT.resolve("docs/architecture.md");
    private static final Pattern MODULE_HEADING = Pattern.compile("(?m)^### `([^`]+)`\\s*$");
    /** A package name: lower-case segments, so that a class named after it ({@code org.fedmil.cli.Fedmil}) counts. */
    private static final Pattern PACKAGE = Pattern.compile("\\borg\\.fedmil(?:\\.[a-z][a-z0-9_]*)*");

    @Test
    void everyMainPackageIsNamedUnderItsModule() throws IOException {
        Map<String, Set<String>> packages = mainPackagesByModule();
        assertThat(packages).as("main packages found under " + ROOT).containsKeys("common/core", "coordinator");
        Map<String, String> sections = moduleSections(Files.readString(DOC));
        for (Map.Entry<String, Set<String>> module : packages.entrySet()) {
            assertThat(sections)
                    .as("%s has no section '### `%s`' for the module that holds %s; add one naming its packages",
                            DOC, module.getKey(), module.getValue())
                    .containsKey(module.getKey());
            Set<String> named = packagesNamed(sections.get(module.getKey()));
            assertThat(named)
                    .as("packages of module %s missing from its section of %s: name each by its full name, with a "
                            + "sentence on what it holds", module.getKey(), DOC)
                    .containsAll(module.getValue());
        }
    }

    @Test
    void everyPackageTheDocNamesExists() throws IOException {
        Set<String> existing = mainPackagesByModule().values().stream().flatMap(Set::stream)
                .collect(Collectors.toCollection(TreeSet::new));
        Set<String> unknown = new TreeSet<>(packagesNamed(Files.readString(DOC)));
        unknown.remove("org.fedmil"); // the project's root package, as prose
        unknown.removeAll(existing);
        assertThat(unknown)
                .as("%s names packages that no module's src/main/java holds (renamed or removed?); existing: %s",
                        DOC, existing)
                .isEmpty();
    }

    @Test
    void everyModuleSectionIsAMavenModule() throws IOException {
        for (String module : moduleSections(Files.readString(DOC)).keySet()) {
            assertThat(ROOT.resolve(module).resolve("pom.xml"))
                    .as("%s has a section '### `%s`', but %s holds no pom.xml", DOC, module, ROOT.resolve(module))
                    .isRegularFile();
        }
    }

    /** Module folder relative to the root ("common/core") → the packages of its src/main/java. */
    private static Map<String, Set<String>> mainPackagesByModule() throws IOException {
        assertThat(ROOT.resolve("pom.xml")).as("the repository root, one up from the deploy module").isRegularFile();
        Map<String, Set<String>> byModule = new TreeMap<>();
        Files.walkFileTree(ROOT, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                String name = dir.getFileName() == null ? "" : dir.getFileName().toString();
                if (!dir.equals(ROOT) && (name.equals("target") || name.startsWith("."))) {
                    return FileVisitResult.SKIP_SUBTREE; // build output (generated protobuf code), .git, .mvn
                }
                if (dir.endsWith(Path.of("src", "main", "java"))) {
                    String module = ROOT.relativize(dir.getParent().getParent().getParent()).toString()
                            .replace('\\', '/');
                    byModule.put(module, packagesUnder(dir));
                    return FileVisitResult.SKIP_SUBTREE;
                }
                return FileVisitResult.CONTINUE;
            }
        });
        byModule.values().removeIf(Set::isEmpty);
        return byModule;
    }

    private static Set<String> packagesUnder(Path sources) throws IOException {
        try (Stream<Path> walk = Files.walk(sources)) {
            return walk.filter(Files::isDirectory).filter(ArchitectureDocTest::holdsJava)
                    .map(d -> sources.relativize(d).toString().replace('\\', '/').replace('/', '.'))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static boolean holdsJava(Path dir) {
        try (Stream<Path> files = Files.list(dir)) {
            return files.anyMatch(f -> f.getFileName().toString().endsWith(".java") && Files.isRegularFile(f));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** "### `module`" heading → the text up to the next heading of level 2 or 3. */
    private static Map<String, String> moduleSections(String doc) {
        Map<String, String> sections = new TreeMap<>();
        Matcher heading = MODULE_HEADING.matcher(doc);
        while (heading.find()) {
            int start = heading.end();
            Matcher next = Pattern.compile("(?m)^#{2,3} ").matcher(doc);
            int end = next.find(start) ? next.start() : doc.length();
            sections.put(heading.group(1), doc.substring(start, end));
        }
        return sections;
    }

    private static Set<String> packagesNamed(String text) {
        Set<String> named = new TreeSet<>();
        Matcher m = PACKAGE.matcher(text);
        while (m.find()) {
            named.add(m.group());
        }
        return named;
    }
}
