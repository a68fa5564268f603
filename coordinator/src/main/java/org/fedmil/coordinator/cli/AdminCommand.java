package org.fedmil.coordinator.cli;

import io.grpc.ChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PkiException;
import org.fedmil.proto.v1.AbortRequest;
import org.fedmil.proto.v1.AdminGrpc;
import org.fedmil.proto.v1.FederationStatus;
import org.fedmil.proto.v1.PauseRequest;
import org.fedmil.proto.v1.ResumeRequest;
import org.fedmil.proto.v1.RevokeRequest;
import org.fedmil.proto.v1.StatusRequest;
import org.fedmil.proto.v1.UnrevokeRequest;
import org.fedmil.tls.ClientHandshakeDeadline;
import org.fedmil.tls.MutualTls;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedmil admin}: the consortium operator's commands to a running coordinator, over the coordinator's port
 * and mutual TLS, with an admin certificate ({@code fedmil pki issue admin NAME}).
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = "Watch and steer a running coordinator with an admin certificate.",
        subcommands = {AdminCommand.StatusCmd.class, AdminCommand.PauseCmd.class, AdminCommand.ResumeCmd.class,
                AdminCommand.AbortCmd.class, AdminCommand.RevokeCmd.class, AdminCommand.UnrevokeCmd.class})
public final class AdminCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    /** Where the coordinator is and which admin certificate to show it. */
    public static final class Connection {
        @Option(names = "--coordinator", required = true, paramLabel = "HOST:PORT",
                description = "The coordinator's address, as in the sites' site.yaml (e.g. fedmil.example.org:7443).")
        String coordinator;

        @ArgGroup(exclusive = true, multiplicity = "1")
        Files files;

        static final class Files {
            @Option(names = "--credentials", paramLabel = "DIR",
                    description = "The folder from `fedmil pki issue admin NAME` (key.pem, cert.pem, ca.pem).")
            Path credentials;

            @ArgGroup(exclusive = false)
            Separate separate;
        }

        static final class Separate {
            @Option(names = "--cert", required = true, description = "Admin certificate (PEM).")
            Path cert;
            @Option(names = "--key", required = true, description = "Admin private key (PEM).")
            Path key;
            @Option(names = "--ca", required = true, description = "Consortium CA certificate (PEM).")
            Path ca;
        }

        PartyCredentials credentials() {
            if (files.credentials != null) {
                return PartyCredentials.in(files.credentials);
            }
            Separate s = files.separate;
            return new PartyCredentials(s.cert.toAbsolutePath().getParent(), s.key, s.cert, s.ca);
        }

        String host() {
            return split()[0];
        }

        int port() {
            try {
                return Integer.parseInt(split()[1]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("--coordinator '" + coordinator + "': the port is not a number");
            }
        }

        private String[] split() {
            int colon = coordinator.lastIndexOf(':');
            if (colon <= 0 || colon == coordinator.length() - 1) {
                throw new IllegalArgumentException("--coordinator '" + coordinator + "': give HOST:PORT");
            }
            String host = coordinator.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            return new String[] {host, coordinator.substring(colon + 1)};
        }
    }

    /**
     * One admin call: connect, call (again after a transient failure, see {@link AdminRetry}), print the answer as
     * text or JSON.
     */
    /** How long one attempt of revoke or abort may take: a cold JVM's first handshake on a loaded host is slow. */
    static final Duration EMERGENCY_ATTEMPT = Duration.ofSeconds(120);
    static final int EMERGENCY_RETRY_SECONDS = 300;

    abstract static class Call implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConnectionMixin connection;

        @Option(names = "--json", description = "Print the answer as one line of JSON (the fields of docs/protocol.md's "
                + "FederationStatus), for scripts.")
        boolean json;

        @Option(names = "--retry-for", paramLabel = "SECONDS",
                description = "Keep retrying transient failures (coordinator unreachable, connection dropped during "
                        + "the TLS handshake, no answer in time) with backoff for up to this long; 0 tries once. "
                        + "Default: 60; 300 for the emergency commands revoke and abort.")
        Integer retryForSeconds;

        abstract FederationStatus call(AdminGrpc.AdminBlockingStub admin);

        /** How long one attempt may take, connection and TLS handshake included. */
        Duration attemptDeadline() {
            return Duration.ofSeconds(30);
        }

        /** --retry-for when not given. */
        int defaultRetryForSeconds() {
            return 60;
        }

        /** Whether the call may be repeated when its answer may have been lost. */
        AdminRetry.Idempotence idempotence() {
            return AdminRetry.Idempotence.SAFE_TO_REPEAT;
        }

        @Override
        public Integer call() {
            PrintWriter err = spec.commandLine().getErr();
            try {
                return run(spec.commandLine().getOut(), err);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return ExitCode.SOFTWARE;
            } finally {
                err.flush();
            }
        }

        Integer run(PrintWriter out, PrintWriter err) throws InterruptedException {
            FederationStatus status = callWithRetries(err);
            if (status == null) {
                return ExitCode.SOFTWARE;
            }
            print(out, status);
            return ExitCode.OK;
        }

        void print(PrintWriter out, FederationStatus status) {
            if (json) {
                StatusOutput.json(out, status);
            } else {
                StatusOutput.text(out, status);
            }
            out.flush();
        }

        /** The answer, or null after printing why there is none. */
        FederationStatus callWithRetries(PrintWriter err) throws InterruptedException {
            String name = "fedmil admin " + spec.name();
            int retryForSeconds = this.retryForSeconds == null ? defaultRetryForSeconds() : this.retryForSeconds;
            if (retryForSeconds < 0) {
                err.println(name + ": --retry-for " + retryForSeconds + ": give 0 (try once) or more seconds");
                return null;
            }
            Connection c = connection.connection;
            AdminRetry retry = new AdminRetry(name, c.coordinator, Duration.ofSeconds(retryForSeconds), err,
                    d -> Thread.sleep(d.toMillis()));
            try {
                PartyCredentials creds = c.credentials();
                ChannelCredentials tls = MutualTls.channelCredentials(creds.cert(), creds.key(), creds.ca());
                String host = c.host();
                int port = c.port();
                return retry.run(() -> once(host, port, tls), idempotence());
            } catch (StatusRuntimeException e) {
                err.println(name + ": " + e.getStatus().getCode() + ": " + e.getStatus().getDescription()
                        + retry.hint(e));
            } catch (PkiException | IllegalArgumentException e) {
                err.println(name + ": " + e.getMessage());
            }
            return null;
        }

        /**
         * One attempt on a channel of its own: a failed handshake leaves nothing behind for the next. The TLS
         * handshake may take the whole attempt (not Netty's fixed 10 s): on a loaded host it is the slow part.
         */
        private FederationStatus once(String host, int port, ChannelCredentials tls) {
            Duration handshake = attemptDeadline().compareTo(Duration.ofSeconds(ClientHandshakeDeadline.MAX_SECONDS)) > 0
                    ? Duration.ofSeconds(ClientHandshakeDeadline.MAX_SECONDS) : attemptDeadline();
            ManagedChannel channel = ClientHandshakeDeadline.channelBuilder(host, port, tls, handshake).build();
            try {
                return call(AdminGrpc.newBlockingStub(channel).withDeadlineAfter(attemptDeadline().toMillis(),
                        TimeUnit.MILLISECONDS));
            } finally {
                channel.shutdownNow();
            }
        }
    }

    /** Picocli mixin wrapper so every subcommand takes the same connection options. */
    public static final class ConnectionMixin {
        @ArgGroup(exclusive = false, multiplicity = "1", heading = "Coordinator and admin certificate:%n")
        Connection connection;
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show the federation, its round and every site with its state and when it was last seen.")
    static final class StatusCmd extends Call {
        @Option(names = "--watch", description = "Show the status again every --every seconds until the federation "
                + "finishes (or Ctrl-C); with --json, one line per refresh.")
        boolean watch;

        @Option(names = "--every", paramLabel = "SECONDS", defaultValue = "5",
                description = "Seconds between refreshes of --watch. Default: ${DEFAULT-VALUE}.")
        int everySeconds;

        @Override
        FederationStatus call(AdminGrpc.AdminBlockingStub admin) {
            return admin.status(StatusRequest.getDefaultInstance());
        }

        @Override
        Integer run(PrintWriter out, PrintWriter err) throws InterruptedException {
            if (!watch) {
                return super.run(out, err);
            }
            if (everySeconds < 1) {
                err.println("fedmil admin status: --every " + everySeconds + ": give at least 1 second");
                return ExitCode.USAGE;
            }
            while (true) {
                FederationStatus status = callWithRetries(err);
                if (status == null) {
                    return ExitCode.SOFTWARE;
                }
                if (!json) {
                    out.println("--- " + java.time.Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
                }
                print(out, status);
                if (status.getPhase().equals("FINISHED")) {
                    return ExitCode.OK;
                }
                Thread.sleep(everySeconds * 1000L);
            }
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true,
            description = "No new round starts and no train task is handed out; uploads under way are accepted.")
    static final class PauseCmd extends Call {
        @Override
        FederationStatus call(AdminGrpc.AdminBlockingStub admin) {
            return admin.pause(PauseRequest.getDefaultInstance());
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Undo pause.")
    static final class ResumeCmd extends Call {
        @Override
        FederationStatus call(AdminGrpc.AdminBlockingStub admin) {
            return admin.resume(ResumeRequest.getDefaultInstance());
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true,
            description = "End the federation now; sites are told to stop. The round log records the reason.")
    static final class AbortCmd extends Call {
        @Option(names = "--reason", required = true, description = "Why; recorded in the round log.")
        String reason;

        @Override
        FederationStatus call(AdminGrpc.AdminBlockingStub admin) {
            return admin.abort(AbortRequest.newBuilder().setReason(reason).build());
        }

        /** An emergency command: on a loaded host its connection set-up may be slow; it waits and retries longer. */
        @Override
        Duration attemptDeadline() {
            return EMERGENCY_ATTEMPT;
        }

        @Override
        int defaultRetryForSeconds() {
            return EMERGENCY_RETRY_SECONDS;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true,
            description = "Refuse SITE's certificates from now on, also after a restart; it leaves the open round.")
    static final class RevokeCmd extends Call {
        @Parameters(paramLabel = "SITE", description = "The site id (its certificate CN).")
        String site;

        @Option(names = "--reason", required = true, description = "Why; recorded in the round log.")
        String reason;

        @Override
        FederationStatus call(AdminGrpc.AdminBlockingStub admin) {
            return admin.revoke(RevokeRequest.newBuilder().setSite(site).setReason(reason).build());
        }

        /** An emergency command: on a loaded host its connection set-up may be slow; it waits and retries longer. */
        @Override
        Duration attemptDeadline() {
            return EMERGENCY_ATTEMPT;
        }

        @Override
        int defaultRetryForSeconds() {
            return EMERGENCY_RETRY_SECONDS;
        }
    }

    @Command(name = "unrevoke", mixinStandardHelpOptions = true,
            description = "Admit a revoked SITE again, after an investigation.")
    static final class UnrevokeCmd extends Call {
        @Override
        AdminRetry.Idempotence idempotence() {
            // a second unrevoke is refused ("not revoked"), so only a call that never reached the coordinator is repeated
            return AdminRetry.Idempotence.ONLY_IF_NOT_SENT;
        }

        @Parameters(paramLabel = "SITE", description = "The site id (its certificate CN).")
        String site;

        @Option(names = "--reason", required = true, description = "Why; recorded in the round log.")
        String reason;

        @Override
        FederationStatus call(AdminGrpc.AdminBlockingStub admin) {
            return admin.unrevoke(UnrevokeRequest.newBuilder().setSite(site).setReason(reason).build());
        }
    }
}
