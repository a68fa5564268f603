package org.fedmil.site.task;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The wire's task messages are read in one place: no class of the site agent but the converter, the feed that hands
 * it the polled task, and the client that polls names a protobuf task type in its class file's constant pool.
 */
class ProtobufTasksStayAtTheConverterTest {

    private static final Pattern TASK_TYPES = Pattern.compile("org/fedmil/proto/v1/(Task|TrainTask|PretrainTask|"
            + "EvaluateTask|WaitTask|StopTask|SecAggAdvertiseTask|SecAggShareTask|SecAggMaskTask|SecAggUnmaskTask)"
            + "(?![A-Za-z0-9_$])");
    private static final Set<String> ALLOWED = Set.of("org/fedmil/site/task/TaskConverter",
            "org/fedmil/site/task/TaskFeed", "org/fedmil/site/agent/CoordinatorClient");

    private static Path classesRoot() throws URISyntaxException {
        Path converter = Path.of(TaskConverter.class.getResource("TaskConverter.class").toURI());
        return converter.getParent().getParent().getParent().getParent().getParent();
    }

    private static List<Path> siteClasses(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root.resolve("org/fedmil/site"))) {
            return files.filter(f -> f.toString().endsWith(".class")).toList();
        }
    }

    private static boolean namesATaskType(Path classFile) throws IOException {
        return TASK_TYPES.matcher(new String(Files.readAllBytes(classFile), StandardCharsets.ISO_8859_1)).find();
    }

    @Test
    void onlyTheConverterFeedAndClientNameProtobufTaskTypes() throws Exception {
        Path root = classesRoot();
        List<Path> classes = siteClasses(root);
        assertThat(classes).hasSizeGreaterThan(40);
        for (Path c : classes) {
            String name = root.relativize(c).toString().replace('\\', '/');
            // (a class's nested classes, e.g. javac's switch map TaskConverter$1, count as the class)
            String outer = name.replaceFirst("(\\$.*)?\\.class$", "");
            if (!ALLOWED.contains(outer)) {
                assertThat(namesATaskType(c)).as("%s names a protobuf task type", name).isFalse();
            }
        }
    }

    @Test
    void theScanSeesTaskTypesWhereTheyAreNamed() throws Exception {
        Path root = classesRoot();
        assertThat(namesATaskType(root.resolve("org/fedmil/site/task/TaskConverter.class"))).isTrue();
        assertThat(namesATaskType(root.resolve("org/fedmil/site/task/TaskFeed.class"))).isTrue();
    }
}
