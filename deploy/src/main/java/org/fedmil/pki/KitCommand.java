package org.fedmil.pki;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code fedmil pki kit}: one folder per party with everything it installs, as a federated-learning provisioning
 * tool hands out startup kits. The party's certificate is issued if it has none yet, else the issued one is used.
 */
@Command(name = "kit", mixinStandardHelpOptions = true,
        description = "Write a party's startup kit: its certificate and key, the CA and its fingerprint, a filled-in "
                + "config, the systemd unit and a README of the next commands.",
        subcommands = {KitCommand.Coordinator.class, KitCommand.Site.class, KitCommand.Admin.class})
final class KitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    /** Options every kit shares. */
    abstract static class KitParty implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--dir", defaultValue = "pki", description = "PKI directory (default: ${DEFAULT-VALUE}).")
        Path dir;

        @Option(names = "--out", defaultValue = "kits", description = "Where the kit folder is written (default: "
                + "${DEFAULT-VALUE}).")
        Path out;

        @Option(names = "--days", defaultValue = "730", description = "Validity in days of a certificate issued for "
                + "the kit (default: ${DEFAULT-VALUE}).")
        int days;

        @Option(names = "--tar", description = "Also write the kit as <folder>.tar.gz next to it, to send.")
        boolean tar;

        abstract PartyKind kind();

        /** The kit's folder name under --out. */
        abstract String kitName();

        /** Everything that can refuse the command, checked before a certificate is issued. */
        abstract void prepare(ConsortiumCa ca) throws IOException;

        abstract String partyName();

        abstract PartyCredentials issue(ConsortiumCa ca, Duration validity) throws IOException;

        abstract StartupKit kit(ConsortiumCa ca, PartyCredentials party, String caFingerprint) throws IOException;

        abstract String handOver(Path folder);

        /** After the kit is written: the coordinator's kit records the federation for the kits that follow. */
        void written(ConsortiumCa ca) throws IOException {
        }

        @Override
        public Integer call() {
            return PkiCommand.run(spec, out -> {
                ConsortiumCa ca = ConsortiumCa.load(dir);
                if (kind() != PartyKind.COORDINATOR) {
                    ConsortiumCa.requirePartyName(partyName(), kind());
                }
                prepare(ca);
                StartupKit.requireAbsent(this.out, kitName(), tar);
                PartyCredentials party = credentials(ca, out);
                String caFingerprint = Certificates.sha256Fingerprint(ca.certificate());
                StartupKit kit = kit(ca, party, caFingerprint)
                        .text(KitReadme.FINGERPRINT_FILE, caFingerprint + "\n");
                Path folder = kit.writeTo(this.out, tar);
                written(ca);
                out.println("Wrote the startup kit " + folder + (tar ? " and " + folder + ".tar.gz" : ""));
                out.println("  CA SHA-256 fingerprint " + caFingerprint + " (in " + KitReadme.FINGERPRINT_FILE
                        + " and README.md)");
                out.println(handOver(folder));
            });
        }

        /** The party's issued folder, or a new one: a kit can be written again from the same certificate. */
        private PartyCredentials credentials(ConsortiumCa ca, PrintWriter out) throws IOException {
            Path issued = ca.layout().partyDir(kind(), partyName());
            if (!Files.exists(issued)) {
                PartyCredentials party = issue(ca, Duration.ofDays(days));
                out.println("Issued " + PemFiles.readCertificate(party.cert()).getSubjectX500Principal().getName()
                        + " in " + party.dir());
                return party;
            }
            PartyCredentials party = PartyCredentials.in(issued);
            if (!Files.exists(party.key())) {
                throw new PkiException(issued + " holds no key.pem (deleted once the party had joined?); a kit carries "
                        + "the private key: move " + issued + " away and run this command again to issue a new key");
            }
            out.println("Using the certificate issued earlier in " + issued);
            return party;
        }

        /** The address sites dial: the option, else what the coordinator's kit recorded. */
        FederationRecord federation(ConsortiumCa ca, String coordinatorOption) throws IOException {
            FederationRecord recorded = FederationRecord.read(ca.layout()).orElse(null);
            if (coordinatorOption == null) {
                if (recorded == null) {
                    throw new PkiException("no coordinator address: run `fedmil pki kit coordinator` first (it records "
                            + "the address in " + ca.layout().root().resolve(FederationRecord.FILE)
                            + "), or pass --coordinator HOST:PORT");
                }
                return recorded;
            }
            int colon = coordinatorOption.lastIndexOf(':');
            int port = colon > 0 ? parsePort(coordinatorOption.substring(colon + 1)) : -1;
            if (port < 1 || port > 65535) {
                throw new PkiException("--coordinator '" + coordinatorOption + "' is not HOST:PORT with a port in "
                        + "1..65535, e.g. fedmil.consortium.example.org:7443");
            }
            String host = coordinatorOption.substring(0, colon).replaceAll("^\\[(.*)]$", "$1");
            return new FederationRecord(recorded == null ? null : recorded.federationId(), host, port);
        }

        private static int parsePort(String text) {
            try {
                return Integer.parseInt(text);
            } catch (NumberFormatException e) {
                return -1;
            }
        }
    }

    @Command(name = "coordinator", mixinStandardHelpOptions = true,
            description = "The coordinator's kit; records the federation id and address for the site and admin kits.")
    static final class Coordinator extends KitParty {

        @Option(names = "--federation-id", required = true, description = "The federation's id (coordinator.yaml "
                + "federation_id), e.g. colon-2026.")
        String federationId;

        @Option(names = "--host", paramLabel = "HOST", description = "DNS name or IP address sites dial; repeat for "
                + "each. The first is the CN and the address in the site kits. Needed unless the coordinator's "
                + "certificate was issued already.")
        List<String> hosts;

        @Option(names = "--port", defaultValue = "7443", description = "The port the coordinator listens on and sites "
                + "dial (default: ${DEFAULT-VALUE}).")
        int port;

        private FederationRecord federation;

        @Override
        PartyKind kind() {
            return PartyKind.COORDINATOR;
        }

        @Override
        void written(ConsortiumCa ca) throws IOException {
            federation.write(ca.layout());
        }

        @Override
        String partyName() {
            return "";
        }

        @Override
        String kitName() {
            return "coordinator";
        }

        @Override
        void prepare(ConsortiumCa ca) {
            if (port < 1 || port > 65535) {
                throw new PkiException("--port " + port + " is not a port; expected 1..65535");
            }
            if ((hosts == null || hosts.isEmpty()) && !Files.exists(ca.layout().coordinatorDir())) {
                throw new PkiException("--host is required: the name sites dial (repeat for each name and address)");
            }
        }

        @Override
        PartyCredentials issue(ConsortiumCa ca, Duration validity) throws IOException {
            return ca.issueCoordinator(hosts, validity);
        }

        @Override
        StartupKit kit(ConsortiumCa ca, PartyCredentials party, String caFingerprint) throws IOException {
            federation = new FederationRecord(federationId, dialledHost(party), port);
            return new StartupKit(kitName()).credentials(party)
                    .text("coordinator.yaml", KitTemplates.coordinatorYaml(federationId, port))
                    .text("fedmil-coordinator.service", KitTemplates.coordinatorUnit(port))
                    .text("README.md", KitReadme.coordinator(federationId, federation.address(), caFingerprint));
        }

        /** The first --host, else the first name in the issued certificate. */
        private String dialledHost(PartyCredentials party) throws IOException {
            if (hosts != null && !hosts.isEmpty()) {
                return hosts.get(0);
            }
            X509Certificate cert = PemFiles.readCertificate(party.cert());
            try {
                Collection<List<?>> names = cert.getSubjectAlternativeNames();
                if (names != null && !names.isEmpty()) {
                    return String.valueOf(names.iterator().next().get(1));
                }
            } catch (CertificateParsingException e) {
                throw new PkiException(party.cert() + ": cannot read its names (" + e.getMessage() + ")");
            }
            throw new PkiException(party.cert() + " names no host; pass --host");
        }

        @Override
        String handOver(Path folder) {
            return "Install " + folder + " on the coordinator host only (its README.md says how); then write the "
                    + "sites' kits with `fedmil pki kit site NAME`.";
        }
    }

    /** A party that dials the coordinator: its kit names the address `pki kit coordinator` recorded. */
    abstract static class DialingParty extends KitParty {

        @Option(names = "--coordinator", paramLabel = "HOST:PORT", description = "The coordinator's address "
                + "(default: the one `fedmil pki kit coordinator` recorded).")
        String coordinator;

        FederationRecord federation;

        @Override
        void prepare(ConsortiumCa ca) throws IOException {
            federation = federation(ca, coordinator);
        }
    }

    @Command(name = "site", mixinStandardHelpOptions = true,
            description = "A hospital's kit (folder site-NAME); NAME becomes its site id.")
    static final class Site extends DialingParty {

        @Parameters(paramLabel = "NAME", description = "Site id: letters, digits, '.', '_', '-'.")
        String name;

        @Override
        PartyKind kind() {
            return PartyKind.SITE;
        }

        @Override
        String partyName() {
            return name;
        }

        @Override
        String kitName() {
            return "site-" + name;
        }

        @Override
        PartyCredentials issue(ConsortiumCa ca, Duration validity) throws IOException {
            return ca.issueSite(name, validity);
        }

        @Override
        StartupKit kit(ConsortiumCa ca, PartyCredentials party, String caFingerprint) throws IOException {
            Path coordinatorCert = PartyCredentials.in(ca.layout().coordinatorDir()).cert();
            String pin = Files.exists(coordinatorCert)
                    ? Certificates.sha256Fingerprint(PemFiles.readCertificate(coordinatorCert)) : null;
            return new StartupKit(kitName()).credentials(party)
                    .text("site.yaml", KitTemplates.siteYaml(federation.coordinatorHost(), federation.coordinatorPort(),
                            pin))
                    .text("fedmil-site.service", KitTemplates.siteUnit())
                    .text("README.md", KitReadme.site(name, federation.federationId(), federation.address(),
                            caFingerprint));
        }

        @Override
        String handOver(Path folder) {
            return "Send " + folder + " to site '" + name + "' over a secure channel (it holds the site's private key),"
                    + " then read them the CA fingerprint above by phone to compare.";
        }
    }

    @Command(name = "admin", mixinStandardHelpOptions = true,
            description = "An operator's kit (folder admin-NAME) for the `fedmil admin` commands.")
    static final class Admin extends DialingParty {

        @Parameters(paramLabel = "NAME", arity = "0..1", defaultValue = "admin",
                description = "Admin name: letters, digits, '.', '_', '-' (default: ${DEFAULT-VALUE}).")
        String name;

        @Override
        PartyKind kind() {
            return PartyKind.ADMIN;
        }

        @Override
        String partyName() {
            return name;
        }

        @Override
        String kitName() {
            return "admin-" + name;
        }

        @Override
        PartyCredentials issue(ConsortiumCa ca, Duration validity) throws IOException {
            return ca.issueAdmin(name, validity);
        }

        @Override
        StartupKit kit(ConsortiumCa ca, PartyCredentials party, String caFingerprint) throws IOException {
            return new StartupKit(kitName()).credentials(party)
                    .text("README.md", KitReadme.admin(name, federation.federationId(), federation.address(),
                            caFingerprint));
        }

        @Override
        String handOver(Path folder) {
            return "Give " + folder + " to admin '" + name + "' only.";
        }
    }
}
