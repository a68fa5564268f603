package org.fedmil.coordinator.cli;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
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
import org.fedmil.proto.v1.SiteStatus;
import org.fedmil.proto.v1.StatusRequest;
import org.fedmil.proto.v1.UnrevokeRequest;
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

    /** One admin call: connect, call, print the answer. */
    abstract static class Call implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @Mixin
        ConnectionMixin connection;

        abstract FederationStatus call(AdminGrpc.AdminBlockingStub admin);

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            String name = "fedmil admin " + spec.name();
            ManagedChannel channel = null;
            try {
                Connection c = connection.connection;
                PartyCredentials creds = c.credentials();
                ChannelCredentials tls = MutualTls.channelCredentials(creds.cert(), creds.key(), creds.ca());
                channel = Grpc.newChannelBuilderForAddress(c.host(), c.port(), tls).build();
                FederationStatus status = call(AdminGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS));
                print(out, status);
                out.flush();
                return ExitCode.OK;
            } catch (StatusRuntimeException e) {
                String hint = switch (e.getStatus().getCode()) {
                    case UNAVAILABLE -> " (is the coordinator running at " + connection.connection.coordinator
                            + ", and is this an admin folder of its consortium CA?)";
                    case PERMISSION_DENIED -> " (use the folder from `fedmil pki issue admin NAME`)";
                    default -> "";
                };
                err.println(name + ": " + e.getStatus().getCode() + ": " + e.getStatus().getDescription() + hint);
            } catch (PkiException | IllegalArgumentException e) {
                err.println(name + ": " + e.getMessage());
            } finally {
                if (channel != null) {
                    channel.shutdownNow();
                }
            }
            err.flush();
            return ExitCode.SOFTWARE;
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
        @Override
        FederationStatus call(AdminGrpc.AdminBlockingStub admin) {
            return admin.status(StatusRequest.getDefaultInstance());
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
    }

    @Command(name = "unrevoke", mixinStandardHelpOptions = true,
            description = "Admit a revoked SITE again, after an investigation.")
    static final class UnrevokeCmd extends Call {
        @Parameters(paramLabel = "SITE", description = "The site id (its certificate CN).")
        String site;

        @Option(names = "--reason", required = true, description = "Why; recorded in the round log.")
        String reason;

        @Override
        FederationStatus call(AdminGrpc.AdminBlockingStub admin) {
            return admin.unrevoke(UnrevokeRequest.newBuilder().setSite(site).setReason(reason).build());
        }
    }

    /** The human-readable answer: a summary line, then a table of the sites. */
    static void print(PrintWriter out, FederationStatus s) {
        if (!s.getMessage().isEmpty()) {
            out.println(s.getMessage());
        }
        out.printf(Locale.ROOT, "federation '%s': %s%s, round %d of %d, model v%d, %d updates in this round, "
                        + "min %d sites%n", s.getFederationId(), s.getPhase(), s.getPaused() ? " (PAUSED)" : "",
                s.getRound(), s.getRounds(), s.getModelVersion(), s.getUpdatesReceived(), s.getMinSites());
        if (s.getSitesCount() == 0) {
            out.println("no site has joined yet");
            return;
        }
        int w = Math.max(4, s.getSitesList().stream().mapToInt(x -> x.getSite().length()).max().orElse(4));
        String row = "%-" + w + "s  %-9s  %-24s  %7s  %s%n";
        out.printf(Locale.ROOT, row, "site", "state", "last seen (UTC)", "updates", "certificate SHA-256");
        for (SiteStatus site : s.getSitesList()) {
            String cert = site.getCertSha256().isEmpty() ? "-" : abbreviate(site.getCertSha256());
            String seen = site.getLastSeen().isEmpty() ? "never" : site.getLastSeen();
            out.printf(Locale.ROOT, row, site.getSite(), site.getState(), seen, site.getUpdatesAccepted(), cert);
            if (!site.getRevokedBy().isEmpty()) {
                out.printf(Locale.ROOT, "%" + w + "s  revoked by %s: %s%n", "", site.getRevokedBy(),
                        site.getRevokedReason());
            }
        }
    }

    private static String abbreviate(String fingerprint) {
        return fingerprint.length() > 23 ? fingerprint.substring(0, 23) + "…" : fingerprint;
    }
}
