package org.fedmil.dist;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The install package's launcher (src/dist/bin/fedmil) puts the heap JvmMemory sizes in front of the long-running
 * commands only, and lets FEDMIL_HEAP and FEDMIL_JAVA_OPTS override it. Run with a stand-in {@code java} that
 * answers the sizing call with fixed options and otherwise prints the command line it was given.
 */
class LauncherHeapTest {

    private static final String SIZED = "-Xms16m -Xmx298m -XX:+UseSerialGC";

    @TempDir
    Path home;

    @BeforeEach
    void unpack() throws Exception {
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("lib"));
        Files.writeString(home.resolve("lib/fedmil.jar"), "");
        Path launcher = home.resolve("bin/fedmil");
        Files.copy(Path.of("src/dist/bin/fedmil"), launcher, StandardCopyOption.REPLACE_EXISTING);
        Path java = Files.createDirectories(home.resolve("jdk/bin")).resolve("java");
        Files.writeString(java, """
                #!/bin/sh
                for a in "$@"; do
                  if [ "$a" = org.fedmil.cli.JvmMemory ]; then echo "%s"; exit 0; fi
                done
                echo "java $*"
                """.formatted(SIZED), StandardCharsets.UTF_8);
        for (Path p : List.of(launcher, java)) {
            Files.setPosixFilePermissions(p, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
    }

    @Test
    void theCoordinatorAndTheSiteGetTheSizedHeapAndOtherCommandsTheFixedOne() throws Exception {
        assertThat(run(Map.of(), "coordinator", "--config", "c.yaml")).contains(SIZED).doesNotContain("-Xmx2g");
        assertThat(run(Map.of(), "site", "run", "--config", "s.yaml")).contains(SIZED);
        assertThat(run(Map.of(), "data", "synth")).contains("-Xmx2g").doesNotContain("-Xmx298m");
    }

    @Test
    void fedmilHeapSetsTheCeilingOrLeavesTheJvmsDefaults() throws Exception {
        assertThat(run(Map.of("FEDMIL_HEAP", "900m"), "coordinator", "--config", "c.yaml")).contains("-Xmx900m")
                .doesNotContain("-Xmx298m");
        assertThat(run(Map.of("FEDMIL_HEAP", "off"), "coordinator", "--config", "c.yaml"))
                .doesNotContain("-Xmx298m").contains("-Xmx2g");
    }

    @Test
    void anXmxOrACollectorInFedmilJavaOptsTurnsTheSizingOff() throws Exception {
        assertThat(run(Map.of("FEDMIL_JAVA_OPTS", "-Xmx3g"), "site", "run")).contains("-Xmx3g")
                .doesNotContain("-Xmx298m");
        assertThat(run(Map.of("FEDMIL_JAVA_OPTS", "-XX:+UseG1GC"), "coordinator", "--config", "c.yaml"))
                .contains("-XX:+UseG1GC").doesNotContain("-XX:+UseSerialGC");
        // other options are kept beside the sized heap, after it so that they win where they repeat one
        String withThreads = run(Map.of("FEDMIL_JAVA_OPTS", "-Dai.djl.pytorch.num_threads=1"), "site", "run");
        assertThat(withThreads).contains(SIZED + " -Dai.djl.pytorch.num_threads=1");
    }

    private String run(Map<String, String> env, String... args) throws Exception {
        ProcessBuilder pb = new ProcessBuilder();
        pb.command().add(home.resolve("bin/fedmil").toString());
        pb.command().addAll(List.of(args));
        pb.environment().remove("FEDMIL_HEAP");
        pb.environment().remove("FEDMIL_JAVA_OPTS");
        pb.environment().put("JAVA_HOME", home.resolve("jdk").toString());
        pb.environment().putAll(env);
        Process p = pb.redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        return out;
    }
}
