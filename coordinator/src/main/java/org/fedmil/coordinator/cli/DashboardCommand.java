package org.fedmil.coordinator.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.dashboard.DashboardServer;
import org.fedmil.coordinator.dashboard.StateFolderReplay;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code fedmil dashboard --state DIR}: the coordinator's dashboard and /metrics for a state folder, without the
 * coordinator: a finished, aborted or stopped federation (or a copy of its folder) can still be looked at. Read
 * only; the folder is read again when its round log or state.json changes, so it also follows a running one.
 */
@Command(name = "dashboard", mixinStandardHelpOptions = true,
        description = "Serve the dashboard of a coordinator's state folder, read-only, without the coordinator.")
public final class DashboardCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--state", required = true, paramLabel = "DIR",
            description = "The coordinator's state_dir (federation.json, state.json, metrics.json, round-log.jsonl).")
    Path stateDir;

    @Option(names = "--host", defaultValue = "127.0.0.1",
            description = "Address to serve on; any but a loopback address needs --cert and --key (HTTPS). "
                    + "Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "8080", description = "Port; 0 for any free one. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--cert", paramLabel = "PEM", description = "Certificate for HTTPS (e.g. the coordinator's cert.pem).")
    Path cert;

    @Option(names = "--key", paramLabel = "PEM", description = "Its private key, for HTTPS.")
    Path key;

    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile DashboardServer server;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        if (!Files.isDirectory(stateDir)) {
            throw new IllegalArgumentException("--state " + stateDir + ": no such folder (give the coordinator's "
                    + "state_dir)");
        }
        if ((cert == null) != (key == null)) {
            throw new IllegalArgumentException("give both --cert and --key, or neither");
        }
        Folder folder = new Folder(stateDir);
        folder.reading(); // a folder that cannot be read stops here, with the file named
        TlsFiles tls = cert == null ? null : new TlsFiles(cert, key, null);
        server = DashboardServer.forHost(host, port, tls, () -> folder.reading().state().snapshot(),
                () -> folder.reading().metrics().scrape()).start();
        out.println("dashboard of " + stateDir.toAbsolutePath() + " on " + server.url()
                + " (read-only; /metrics for Prometheus; Ctrl-C to stop)");
        out.flush();
        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            server.stop();
        }
        return ExitCode.OK;
    }

    /** Ends {@link #call} (the command otherwise serves until the process is stopped). */
    public void stop() {
        stopped.countDown();
    }

    /** The server once started, else null. */
    public DashboardServer server() {
        return server;
    }

    /** The folder's latest reading, made again when the round log or state.json has changed since. */
    private static final class Folder {
        private final Path dir;
        private List<Object> stamp;
        private StateFolderReplay.Reading reading;

        Folder(Path dir) {
            this.dir = dir;
        }

        synchronized StateFolderReplay.Reading reading() {
            List<Object> now = List.of(stamp(dir.resolve("round-log.jsonl")), stamp(dir.resolve("state.json")),
                    stamp(dir.resolve("revoked-sites.json")), stamp(dir.resolve("metrics.json")));
            if (reading == null || !now.equals(stamp)) {
                reading = StateFolderReplay.read(dir);
                stamp = now;
            }
            return reading;
        }

        private static String stamp(Path file) {
            try {
                return Files.size(file) + "@" + Files.getLastModifiedTime(file);
            } catch (IOException e) {
                return "none";
            }
        }
    }
}
