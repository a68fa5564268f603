package org.fedmil.bench.scale;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import org.fedmil.config.ConfigFiles;
import org.fedmil.coordinator.Coordinator;
import org.fedmil.coordinator.config.CoordinatorConfig;

/**
 * The coordinator of the scale benchmark, in a JVM of its own so that its threads and heap are measured apart from
 * the simulated sites. Runs the real {@link Coordinator}; each line "probe" on stdin appends one line to the probe
 * file: live threads, peak threads since the last probe, heap used after a full GC, open file descriptors.
 */
public final class ScaleCoordinatorMain {

    private ScaleCoordinatorMain() {
    }

    public static void main(String[] args) throws Exception {
        Path yaml = Path.of(args[0]);
        Path probes = Path.of(args[1]);
        CoordinatorConfig config = ConfigFiles.read(yaml, CoordinatorConfig.class)
                .resolvedAgainst(yaml);
        try (Coordinator coordinator = new Coordinator(config, System.out)) {
            coordinator.start();
            Thread prober = new Thread(() -> answerProbes(probes), "scale-prober");
            prober.setDaemon(true);
            prober.start();
            coordinator.awaitCompletion();
        }
        System.exit(0);
    }

    private static void answerProbes(Path probes) {
        var threads = ManagementFactory.getThreadMXBean();
        var memory = ManagementFactory.getMemoryMXBean();
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = in.readLine()) != null) {
                if (!line.trim().equals("probe")) {
                    continue;
                }
                int live = threads.getThreadCount();
                int peak = threads.getPeakThreadCount();
                threads.resetPeakThreadCount();
                // twice: the first GC may leave finalizable objects that the second collects
                System.gc();
                System.gc();
                long heap = memory.getHeapMemoryUsage().getUsed();
                long fds;
                try (var s = Files.list(Path.of("/proc/self/fd"))) {
                    fds = s.count();
                } catch (Exception e) {
                    fds = -1;
                }
                Files.writeString(probes, String.format(Locale.ROOT, "%d %d %d %d%n", live, peak, heap, fds),
                        StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
        } catch (Exception e) {
            e.printStackTrace();
        }
    }
}
