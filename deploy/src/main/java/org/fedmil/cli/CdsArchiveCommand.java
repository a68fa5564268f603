package org.fedmil.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code fedmil cds-archive}: writes the package's class-data-sharing archive, lib/fedmil.jsa, which bin/fedmil
 * hands to every later JVM. Java 17 cannot move such an archive (it names the jars by absolute path), so it is
 * written where the package is installed, by a JVM that records {@link CdsTraining} and dumps at exit; then a
 * second JVM with {@code -Xshare:on} proves it maps.
 */
@Command(name = "cds-archive", mixinStandardHelpOptions = true,
        description = "Write lib/fedmil.jsa, a class-data-sharing archive that makes every later fedmil call start "
                + "faster. Run once after unpacking, as the package's owner; again after a Java update.")
public final class CdsArchiveCommand implements Callable<Integer> {

    static final String ARCHIVE = "fedmil.jsa";

    /** The JVM options that make a stale or foreign archive a silent no-op (bin/fedmil passes the same). */
    static final List<String> QUIET = List.of("-Xlog:cds=off", "-Xlog:cds+dynamic=off");

    @Spec
    CommandSpec spec;

    @Option(names = "--out", paramLabel = "FILE", description = "Where to write it (default: lib/" + ARCHIVE
            + " of the package this command runs from).")
    Path out;

    @Override
    public Integer call() throws Exception {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Path target = out != null ? out : defaultTarget();
        if (target == null) {
            err.println("fedmil cds-archive: not run from an installed package (no fedmil.home); give --out FILE");
            return 2;
        }
        Path dir = target.toAbsolutePath().getParent();
        if (!Files.isDirectory(dir)) {
            err.println("fedmil cds-archive: " + dir + " is not a folder; --out names the archive file in an existing "
                    + "folder");
            return 2;
        }
        if (!Files.isWritable(dir)) {
            err.println("fedmil cds-archive: " + dir + " is not writable by user " + System.getProperty("user.name")
                    + "; run it as the user who unpacked the package (root for /opt/fedmil)");
            return 2;
        }
        Path partial = dir.resolve("." + target.getFileName() + ".partial");
        Files.deleteIfExists(partial);
        Result recorded = java(List.of("-XX:ArchiveClassesAtExit=" + partial), CdsTraining.class.getName());
        if (recorded.exit() != 0 || !Files.isRegularFile(partial) || Files.size(partial) == 0) {
            Files.deleteIfExists(partial);
            err.println("fedmil cds-archive: the recording JVM exited with " + recorded.exit() + " and wrote no archive;"
                    + " fedmil works without one. Its output:\n" + recorded.output());
            return 1;
        }
        Result check = java(List.of("-XX:SharedArchiveFile=" + partial, "-Xshare:on"), Fedmil.class.getName(),
                "--version");
        if (check.exit() != 0) {
            Files.deleteIfExists(partial);
            err.println("fedmil cds-archive: this Java (" + System.getProperty("java.vm.version") + ") does not map "
                    + "the archive it wrote, so none was installed; fedmil works without one. Its output:\n"
                    + check.output());
            return 1;
        }
        Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        stdout.printf(Locale.ROOT, "Wrote %s (%.1f MB): the classes of %s; bin/fedmil starts from it from now on. "
                        + "Java ignores it silently after a Java update or if the package moves: run this again then.%n",
                target, Files.size(target) / 1e6, String.join(", ", CdsTraining.commandsRecorded()));
        stdout.flush();
        return 0;
    }

    private static Path defaultTarget() {
        String home = System.getProperty("fedmil.home");
        return home == null ? null : Path.of(home, "lib", ARCHIVE);
    }

    private record Result(int exit, String output) {
    }

    /** A JVM of this Java on this JVM's exact class path (the archive records it). */
    private static Result java(List<String> options, String main, String... args) throws IOException,
            InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(options);
        cmd.addAll(QUIET);
        cmd.add("-Dai.djl.offline=true");
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(main);
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(5, TimeUnit.MINUTES)) {
            p.destroyForcibly().waitFor();
        }
        return new Result(p.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
