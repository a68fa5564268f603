package org.fedmil.pki;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedmil pki}: the consortium operator's tool for the CA and every party's certificate.
 * Operator mistakes print one line and exit 1; only bugs print a stack trace.
 */
@Command(name = "pki", mixinStandardHelpOptions = true,
        description = "Create the consortium CA and issue certificates to the coordinator, sites and admins.",
        subcommands = {PkiCommand.Init.class, PkiCommand.Issue.class, PkiCommand.Renew.class, KitCommand.class,
                OfflineRevokeCommand.class})
public final class PkiCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    @Command(name = "init", mixinStandardHelpOptions = true,
            description = "Create the consortium CA, once. Refuses if one already exists.")
    static final class Init implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--dir", defaultValue = "pki", description = "PKI directory (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--name", required = true, description = "Consortium name; the CA is \"<name> FedMIL CA\".")
        String name;

        @Option(names = "--days", defaultValue = "3650", description = "CA validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() {
            return run(spec, out -> {
                ConsortiumCa ca = ConsortiumCa.init(dir, name, Duration.ofDays(days));
                PkiLayout layout = ca.layout();
                out.println("Created the consortium CA " + ca.certificate().getSubjectX500Principal().getName());
                out.println("  " + layout.caKey() + "   CA private key (rw-------): never let it leave this machine");
                out.println("  " + layout.caCert() + "       CA certificate: every party trusts it");
                describe(out, ca.certificate());
            });
        }
    }

    @Command(name = "issue", mixinStandardHelpOptions = true,
            description = "Issue a key and certificate to a party, in a folder of its own.",
            subcommands = {Coordinator.class, Site.class, Admin.class})
    static final class Issue implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getErr());
            return ExitCode.USAGE;
        }
    }

    /** Options every issue subcommand shares. */
    abstract static class IssueParty implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--dir", defaultValue = "pki", description = "PKI directory (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--days", defaultValue = "730", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        @Override
        public Integer call() {
            return run(spec, out -> {
                ConsortiumCa ca = ConsortiumCa.load(dir);
                PartyCredentials issued = issue(ca, Duration.ofDays(days));
                X509Certificate certificate = PemFiles.readCertificate(issued.cert());
                out.println("Issued " + certificate.getSubjectX500Principal().getName() + " in " + issued.dir());
                out.println("  " + issued.key() + "   private key (rw-------)");
                out.println("  " + issued.cert() + "  certificate");
                out.println("  " + issued.ca() + "    consortium CA certificate");
                describe(out, certificate);
                out.println(handOver(issued));
            });
        }

        abstract PartyCredentials issue(ConsortiumCa ca, Duration validity) throws IOException;

        abstract String handOver(PartyCredentials issued);
    }

    @Command(name = "coordinator", mixinStandardHelpOptions = true,
            description = "Issue the coordinator's server certificate for every name sites dial.")
    static final class Coordinator extends IssueParty {

        @Option(names = "--host", required = true, paramLabel = "HOST",
                description = "DNS name or IP address sites dial; repeat for each. The first is the CN.")
        List<String> hosts;

        @Override
        PartyCredentials issue(ConsortiumCa ca, Duration validity) throws IOException {
            return ca.issueCoordinator(hosts, validity);
        }

        @Override
        String handOver(PartyCredentials issued) {
            return "Install " + issued.dir() + " on the coordinator host only.";
        }
    }

    @Command(name = "site", mixinStandardHelpOptions = true,
            description = "Issue a hospital's client certificate; NAME becomes its site id.")
    static final class Site extends IssueParty {

        @Parameters(paramLabel = "NAME", description = "Site id: letters, digits, '.', '_', '-'.")
        String name;

        @Override
        PartyCredentials issue(ConsortiumCa ca, Duration validity) throws IOException {
            return ca.issueSite(name, validity);
        }

        @Override
        String handOver(PartyCredentials issued) {
            return "Send " + issued.dir() + " to site '" + name + "' over a secure channel, then compare the "
                    + "fingerprint with them by phone.";
        }
    }

    @Command(name = "admin", mixinStandardHelpOptions = true,
            description = "Issue an operator's client certificate for the coordinator's admin commands.")
    static final class Admin extends IssueParty {

        @Parameters(paramLabel = "NAME", description = "Admin name: letters, digits, '.', '_', '-'.")
        String name;

        @Override
        PartyCredentials issue(ConsortiumCa ca, Duration validity) throws IOException {
            return ca.issueAdmin(name, validity);
        }

        @Override
        String handOver(PartyCredentials issued) {
            return "Give " + issued.dir() + " to admin '" + name + "' only.";
        }
    }

    @Command(name = "renew", mixinStandardHelpOptions = true,
            description = "Issue a new certificate for the same party, key and CA; only cert.pem changes.",
            subcommands = {RenewCoordinator.class, RenewSite.class, RenewAdmin.class})
    static final class Renew implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            spec.commandLine().usage(spec.commandLine().getErr());
            return ExitCode.USAGE;
        }
    }

    /** Options every renew subcommand shares. */
    abstract static class RenewParty implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--dir", defaultValue = "pki", description = "PKI directory (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--days", defaultValue = "730", description = "Validity in days (default: ${DEFAULT-VALUE}).")
        int days;

        abstract PartyKind kind();

        String name() {
            return "";
        }

        @Override
        public Integer call() {
            return run(spec, out -> {
                ConsortiumCa ca = ConsortiumCa.load(dir);
                PartyCredentials party = PartyCredentials.in(ca.layout().partyDir(kind(), name()));
                X509Certificate old = Files.exists(party.cert()) ? PemFiles.readCertificate(party.cert()) : null;
                X509Certificate renewed = ca.renew(kind(), name(), Duration.ofDays(days));
                out.println("Renewed " + renewed.getSubjectX500Principal().getName() + " in " + party.cert());
                out.println("  same key and CA; new serial " + renewed.getSerialNumber().toString(16)
                        + (old == null ? "" : " (was " + old.getSerialNumber().toString(16) + ", valid until "
                        + old.getNotAfter().toInstant() + ")"));
                describe(out, renewed);
                out.println(kind() == PartyKind.COORDINATOR
                        ? "Copy " + party.cert() + " over the coordinator's cert.pem (write a temp file, then mv); "
                        + "new connections present it at once. Sites that pin the coordinator fingerprint must "
                        + "get the new fingerprint above first."
                        : "Send " + party.cert() + " (not secret, no key in it) to " + kind().organizationalUnit()
                        + " '" + name() + "'; it replaces its cert.pem (temp file, then mv) and new connections use it "
                        + "without a restart.");
            });
        }
    }

    @Command(name = "coordinator", mixinStandardHelpOptions = true, description = "Renew the coordinator's certificate.")
    static final class RenewCoordinator extends RenewParty {
        @Override
        PartyKind kind() {
            return PartyKind.COORDINATOR;
        }
    }

    @Command(name = "site", mixinStandardHelpOptions = true, description = "Renew a site's certificate.")
    static final class RenewSite extends RenewParty {
        @Parameters(paramLabel = "NAME", description = "Site id.")
        String name;

        @Override
        PartyKind kind() {
            return PartyKind.SITE;
        }

        @Override
        String name() {
            return name;
        }
    }

    @Command(name = "admin", mixinStandardHelpOptions = true, description = "Renew an admin's certificate.")
    static final class RenewAdmin extends RenewParty {
        @Parameters(paramLabel = "NAME", description = "Admin name.")
        String name;

        @Override
        PartyKind kind() {
            return PartyKind.ADMIN;
        }

        @Override
        String name() {
            return name;
        }
    }

    interface Action {
        void run(PrintWriter out) throws IOException;
    }

    static int run(CommandSpec spec, Action action) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try {
            action.run(out);
            out.flush();
            return ExitCode.OK;
        } catch (PkiException e) {
            err.println("fedmil " + spec.qualifiedName().replaceFirst("^.*?pki", "pki") + ": " + e.getMessage());
        } catch (AccessDeniedException e) {
            err.println("fedmil " + spec.qualifiedName().replaceFirst("^.*?pki", "pki") + ": "
                    + org.fedmil.util.Unreadable.denied(e));
        } catch (IOException e) {
            err.println("fedmil " + spec.qualifiedName().replaceFirst("^.*?pki", "pki") + ": " + e);
        }
        err.flush();
        return ExitCode.SOFTWARE;
    }

    private static void describe(PrintWriter out, X509Certificate certificate) {
        out.println("  valid until " + certificate.getNotAfter().toInstant());
        out.println("  SHA-256 fingerprint " + Certificates.sha256Fingerprint(certificate));
    }
}
