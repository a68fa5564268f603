package org.fedmil.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.Writer;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine;

/**
 * The run {@code fedmil cds-archive} records: the commands an operator types most, in one JVM, in a scratch folder,
 * so that the classes they load end up in the archive when this JVM exits. Nothing it does leaves the scratch
 * folder; the admin call dials a closed loopback port (it loads gRPC, Netty and TLS, then fails), bounded in time.
 */
public final class CdsTraining {

    /** How long the admin call may retry before the recording ends anyway: it has loaded its classes by then. */
    private static final long ADMIN_CALL_MILLIS = 15_000;

    private CdsTraining() {
    }

    public static void main(String[] args) throws Exception {
        Path scratch = Files.createTempDirectory("fedmil-cds-");
        try {
            String pki = scratch.resolve("pki").toString();
            String kits = scratch.resolve("kits").toString();
            run("--help");
            helpOfEveryCommand(Fedmil.commandLine());
            run("pki", "init", "--dir", pki, "--name", "CDS training");
            run("pki", "issue", "coordinator", "--dir", pki, "--host", "localhost");
            run("pki", "issue", "site", "site-1", "--dir", pki);
            run("pki", "issue", "admin", "admin-1", "--dir", pki);
            run("pki", "renew", "site", "site-1", "--dir", pki);
            run("pki", "kit", "coordinator", "--dir", pki, "--out", kits, "--federation-id", "cds");
            run("pki", "kit", "site", "site-2", "--dir", pki, "--out", kits, "--tar");
            adminCallToAClosedPort(pki);
        } finally {
            deleteRecursively(scratch);
        }
        // the archive is written as the JVM exits; exit now rather than wait for gRPC's threads
        System.exit(0);
    }

    private static void adminCallToAClosedPort(String pki) throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Thread call = new Thread(() -> run("admin", "status", "--coordinator", "127.0.0.1:" + port,
                "--credentials", Path.of(pki, "admins", "admin-1").toString()), "cds-admin-call");
        call.setDaemon(true);
        call.start();
        call.join(ADMIN_CALL_MILLIS);
    }

    private static void helpOfEveryCommand(CommandLine command) {
        command.getUsageMessage();
        for (CommandLine sub : command.getSubcommands().values()) {
            helpOfEveryCommand(sub);
        }
    }

    private static void run(String... args) {
        PrintWriter nowhere = new PrintWriter(Writer.nullWriter());
        CommandLine cl = Fedmil.commandLine();
        cl.setOut(nowhere);
        cl.setErr(nowhere);
        cl.execute(args);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static List<String> commandsRecorded() {
        return List.of("--help", "pki init", "pki issue", "pki renew", "pki kit", "admin status");
    }
}
