package org.fedmil.cli;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * What the commands that run a whole federation on one machine ({@code demo}, {@code soak}) share: a work folder
 * they own, {@code fedmil} steps run in-process, and coordinator and site processes started from this JVM's own
 * class path.
 */
final class LocalFederation {

    private LocalFederation() {
    }

    /**
     * Empties {@code work} for a new run, or creates it. A folder this command did not make (no {@code marker}
     * file) is never deleted unless it is empty.
     */
    static void prepareWorkFolder(Path work, String marker, String command) throws IOException {
        if (Files.exists(work)) {
            boolean ours = Files.exists(work.resolve(marker));
            boolean empty;
            try (Stream<Path> s = Files.list(work)) {
                empty = s.findAny().isEmpty();
            }
            if (!ours && !empty) {
                throw new IllegalArgumentException("work folder " + work.toAbsolutePath()
                        + " exists and was not made by 'fedmil " + command + "'; choose another with --work");
            }
            try (Stream<Path> s = Files.walk(work)) {
                for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(work);
        Files.writeString(work.resolve(marker), "made by fedmil " + command + "; deleted and rebuilt on each run\n");
    }

    /** Runs {@code fedmil args…} in this JVM; a non-zero exit is an error naming the step. */
    static void step(String command, String what, String... args) {
        int code = Fedmil.commandLine().execute(args);
        if (code != 0) {
            throw new IllegalStateException(command + ": " + what + " failed (fedmil " + String.join(" ", args)
                    + " exited " + code + ")");
        }
    }

    /**
     * Starts {@code fedmil args…} as a separate JVM with this one's class path and output to {@code log} (or to
     * this process's output when null). Several such processes share the machine's cores, so each gets one
     * PyTorch thread, which avoids oversubscription.
     */
    static Process start(List<String> args, Path log, String maxHeap) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add(ProcessHandle.current().info().command().orElse("java"));
        cmd.add("-Xmx" + maxHeap);
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-Dai.djl.pytorch.num_threads=1");
        cmd.add("-Dai.djl.pytorch.num_interop_threads=1");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(Fedmil.class.getName());
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectOutput(log == null ? ProcessBuilder.Redirect.INHERIT : ProcessBuilder.Redirect.to(log.toFile()));
        return pb.start();
    }

    /** A port free on this machine now (another process may still take it before it is used). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }
}
