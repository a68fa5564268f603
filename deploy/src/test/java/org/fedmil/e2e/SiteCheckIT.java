package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.fedmil.cli.Fedmil;
import org.fedmil.pki.Certificates;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.site.check.CheckResult;
import org.fedmil.site.check.SiteCheck;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code fedmil site check} against a real coordinator on loopback (mutual TLS): the command the site guide tells
 * hospital IT to run passes on a good setup, and each kind of broken setup fails its own line.
 */
class SiteCheckIT {

    @TempDir
    static Path dir;

    private static TestFederation fed;
    private static PartyCredentials site;

    @BeforeAll
    static void coordinator() throws Exception {
        fed = new TestFederation(dir, 1, 1, 24, 20);
        site = fed.site("site-1");
    }

    @AfterAll
    static void stop() throws Exception {
        fed.close();
    }

    private record Run(int rc, String out) {
        /** The line of one check, e.g. "FAIL  data ...". */
        String line(String check) {
            return out.lines().filter(l -> l.substring(6).startsWith(check + " ")).findFirst()
                    .orElseThrow(() -> new AssertionError("no line for check '" + check + "' in:\n" + out));
        }
    }

    /** Writes a site.yaml as the site guide shows it (plus {@code extra}) and runs the guide's command on it. */
    private static Run siteCheck(String name, PartyCredentials creds, Path data, int port, String extra)
            throws Exception {
        Path yaml = dir.resolve(name + ".yaml");
        Files.writeString(yaml, """
                coordinator:
                  host: localhost
                  port: %d
                tls:
                  cert: %s
                  key: %s
                  ca: %s
                data_dir: %s
                state_dir: %s
                device: auto
                """.formatted(port, creds.cert(), creds.key(), creds.ca(), data, dir.resolve(name + "-state")) + extra);
        StringWriter out = new StringWriter();
        CommandLine cl = Fedmil.commandLine();
        cl.setOut(new PrintWriter(out));
        cl.setErr(new PrintWriter(out));
        int rc = cl.execute("site", "check", "--config", yaml.toString());
        return new Run(rc, out.toString());
    }

    private static Run goodSetup(String name, String extra) throws Exception {
        return siteCheck(name, site, fed.dataDir.resolve("site-1"), fed.coordinator.port(), extra);
    }

    @Test
    void onAGoodSetupEveryCheckPassesWithWhatItFoundAndTheExitCodeIsZero() throws Exception {
        Run run = goodSetup("good", "");

        assertThat(run.rc()).as(run.out()).isZero();
        assertThat(run.line("config")).startsWith("PASS");
        assertThat(run.line("data")).startsWith("PASS").contains("24 bags of").contains(" negative, ").contains(" positive)");
        assertThat(run.line("certificate")).startsWith("PASS").contains("CN=site-1").contains("issued by the consortium CA");
        assertThat(run.line("key")).startsWith("PASS");
        assertThat(run.line("coordinator")).startsWith("PASS").contains("localhost:" + fed.coordinator.port())
                .contains("answered over mutual TLS").contains("not pinned");
        assertThat(run.line("device")).startsWith("PASS").containsPattern("training will run on (cpu\\(\\)|gpu\\(\\d+\\))");
        assertThat(run.out()).contains("site check: all passed; start the agent with 'fedmil site run'");
    }

    @Test
    void theRightPinPasses() throws Exception {
        String fingerprint = Certificates.sha256Fingerprint(
                PemFiles.readCertificate(dir.resolve("pki/coordinator/cert.pem")));

        Run run = goodSetup("pinned", "policy:\n  coordinator_fingerprint: \"" + fingerprint.toLowerCase() + "\"\n");

        assertThat(run.rc()).as(run.out()).isZero();
        assertThat(run.line("coordinator")).startsWith("PASS").contains(fingerprint + ", as pinned");
    }

    @Test
    void aWrongPinFailsTheCoordinatorCheckNamingBothFingerprints() throws Exception {
        String wrong = "AB:".repeat(31) + "AB";

        Run run = goodSetup("wrong-pin", "policy:\n  coordinator_fingerprint: \"" + wrong + "\"\n");

        assertThat(run.rc()).isEqualTo(1);
        assertThat(run.line("coordinator")).startsWith("FAIL").contains("but this site pins " + wrong)
                .contains("policy.coordinator_fingerprint");
        assertThat(run.out()).contains("site check: 1 failed");
    }

    @Test
    void anUnreachableCoordinatorFailsWithTheAddressAndTheFirewallHint() throws Exception {
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }

        Run run = siteCheck("unreachable", site, fed.dataDir.resolve("site-1"), closed, "");

        assertThat(run.rc()).isEqualTo(1);
        assertThat(run.line("coordinator")).startsWith("FAIL")
                .contains("cannot open a TCP connection to localhost:" + closed)
                .contains("firewall lets this machine connect out to port " + closed);
        assertThat(run.line("data")).startsWith("PASS");
    }

    @Test
    void aBadDataFolderFailsTheDataCheckNamingTheProblem() throws Exception {
        Path bad = Files.createDirectories(dir.resolve("bad-data"));
        Files.writeString(bad.resolve("bags.csv"), "bag_id,label\ncase-1,1\n");

        Run run = siteCheck("bad-data", site, bad, fed.coordinator.port(), "");

        assertThat(run.rc()).isEqualTo(1);
        assertThat(run.line("data")).startsWith("FAIL").contains("case-1").contains("docs/data-format.md");
        assertThat(run.line("coordinator")).startsWith("PASS");
    }

    @Test
    void aCertificateExpiringWithinThirtyDaysWarnsButPasses() throws Exception {
        PartyCredentials shortLived = fed.ca.issueSite("site-short", Duration.ofDays(10));

        Run run = siteCheck("short", shortLived, fed.dataDir.resolve("site-1"), fed.coordinator.port(), "");

        assertThat(run.rc()).as(run.out()).isZero();
        assertThat(run.line("certificate")).startsWith("WARN").contains("in 9 days").contains("renew");
        assertThat(run.out()).contains("all passed (1 warning)");
    }

    @Test
    void anExpiredCertificateFailsAndTheCoordinatorIsNotTried() throws Exception {
        PartyCredentials oneDay = fed.ca.issueSite("site-one-day", Duration.ofDays(1));
        SiteConfig config = fed.siteConfig("site-1", oneDay);
        Clock twoDaysLater = Clock.offset(Clock.systemUTC(), Duration.ofDays(2));

        List<CheckResult> results = new SiteCheck(config, twoDaysLater, Duration.ofSeconds(15)).run();

        assertThat(results).filteredOn(r -> r.check().equals("certificate")).singleElement().satisfies(r -> {
            assertThat(r.status()).isEqualTo(CheckResult.Status.FAIL);
            assertThat(r.detail()).contains("expired on").contains("ask the consortium operator for a new certificate");
        });
        assertThat(results).filteredOn(r -> r.check().equals("coordinator")).singleElement()
                .extracting(CheckResult::status).isEqualTo(CheckResult.Status.SKIP);
    }

    @Test
    void aKeyOfAnotherCertificateFailsTheKeyCheck() throws Exception {
        PartyCredentials other = fed.site("site-2");
        PartyCredentials mixed = new PartyCredentials(site.dir(), other.key(), site.cert(), site.ca());

        Run run = siteCheck("mixed-key", mixed, fed.dataDir.resolve("site-1"), fed.coordinator.port(), "");

        assertThat(run.rc()).isEqualTo(1);
        assertThat(run.line("key")).startsWith("FAIL").contains("is not the private key of " + site.cert());
        assertThat(run.line("coordinator")).startsWith("SKIP");
    }

    @Test
    void anInvalidSiteYamlFailsTheConfigLineNamingFileAndKey() throws Exception {
        Run run = goodSetup("typo", "pol_wait_ms: 100\n");

        assertThat(run.rc()).isEqualTo(1);
        assertThat(run.line("config")).startsWith("FAIL").contains("typo.yaml").contains("unknown key 'pol_wait_ms'");
    }

    @Test
    void theCertificateLineNamesTheCaFingerprintToCompareAndTheAdmissionLineTheFederation() throws Exception {
        String caFingerprint = Certificates.sha256Fingerprint(PemFiles.readCertificate(site.ca()));

        Run run = goodSetup("fingerprint", "");

        assertThat(run.rc()).as(run.out()).isZero();
        assertThat(run.line("certificate")).startsWith("PASS").contains("issued by the consortium CA CN=")
                .contains("ca.pem SHA-256 fingerprint " + caFingerprint)
                .contains("compare it with the one the consortium operator gave you");
        assertThat(run.line("admission")).startsWith("PASS")
                .contains("the coordinator would admit this site to federation 'e2e'");
        assertThat(fed.coordinator.run().joinedSites()).as("a check joins no one").doesNotContain("site-1");
    }

    @Test
    void aSiteCertificateOfAnotherCaFailsTheCertificateCheckNamingBothCas() throws Exception {
        ConsortiumCa other = ConsortiumCa.init(dir.resolve("other-pki"), "other", Duration.ofDays(30));
        PartyCredentials stranger = other.issueSite("site-1", Duration.ofDays(10));
        PartyCredentials mixed = new PartyCredentials(stranger.dir(), stranger.key(), stranger.cert(), site.ca());

        Run run = siteCheck("foreign-cert", mixed, fed.dataDir.resolve("site-1"), fed.coordinator.port(), "");

        assertThat(run.rc()).isEqualTo(1);
        assertThat(run.line("certificate")).startsWith("FAIL").contains("CN=other")
                .contains("was not issued by the consortium CA in " + site.ca())
                .contains(Certificates.sha256Fingerprint(PemFiles.readCertificate(site.ca())));
        assertThat(run.line("coordinator")).startsWith("SKIP");
    }

    @Test
    void anotherConsortiumsFolderShowsItsCaFingerprintAndFailsAtTheCoordinatorAsNotTrusted() throws Exception {
        ConsortiumCa other = ConsortiumCa.init(dir.resolve("other-consortium"), "other", Duration.ofDays(365));
        PartyCredentials stranger = other.issueSite("site-1", Duration.ofDays(100));

        Run run = siteCheck("other-consortium", stranger, fed.dataDir.resolve("site-1"), fed.coordinator.port(), "");

        assertThat(run.rc()).isEqualTo(1);
        assertThat(run.line("certificate")).startsWith("PASS")
                .contains("fingerprint " + Certificates.sha256Fingerprint(other.certificate()));
        assertThat(run.line("coordinator")).startsWith("FAIL").contains("the mutual TLS handshake failed")
                .contains("is not from the consortium CA in " + stranger.ca())
                .contains("Compare the CA fingerprint");
    }

    @Test
    void aRevokedSiteFailsTheAdmissionCheckWithTheOperatorsRefusal() throws Exception {
        PartyCredentials revoked = fed.site("site-revoked");
        PartyCredentials alice = fed.ca.issueAdmin("alice-check", ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        StringWriter adminOut = new StringWriter();
        CommandLine admin = Fedmil.commandLine();
        admin.setOut(new PrintWriter(adminOut));
        admin.setErr(new PrintWriter(adminOut));
        assertThat(admin.execute("admin", "revoke", "site-revoked", "--reason", "test", "--coordinator",
                "localhost:" + fed.coordinator.port(), "--credentials", alice.dir().toString()))
                .as(adminOut.toString()).isZero();

        Run run = siteCheck("revoked", revoked, fed.dataDir.resolve("site-1"), fed.coordinator.port(), "");

        assertThat(run.rc()).isEqualTo(1);
        assertThat(run.line("coordinator")).startsWith("PASS");
        assertThat(run.line("admission")).startsWith("FAIL")
                .contains("site 'site-revoked' has been revoked by the consortium operator (certificate "
                        + "CN=site-revoked, serial ").contains("Contact the consortium operator");
    }
}
