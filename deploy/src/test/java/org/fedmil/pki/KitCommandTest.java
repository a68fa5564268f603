package org.fedmil.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;
import org.fedmil.config.ConfigException;
import org.fedmil.config.ConfigFiles;
import org.fedmil.config.ConfigOverrides;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil pki kit}: what each party's kit holds, that its config loads, and what it refuses. */
class KitCommandTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();
    private String pki;
    private String kits;

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return new CommandLine(new PkiCommand()).setOut(new PrintWriter(out, true)).setErr(new PrintWriter(err, true))
                .execute(args);
    }

    @BeforeEach
    void ca() {
        pki = tmp.resolve("pki").toString();
        kits = tmp.resolve("kits").toString();
        assertThat(run("init", "--dir", pki, "--name", "Kit consortium")).isZero();
    }

    private String caFingerprint() {
        return Certificates.sha256Fingerprint(PemFiles.readCertificate(tmp.resolve("pki/ca/ca.pem")));
    }

    @Test
    void aSiteKitHoldsItsCredentialsTheCaFingerprintAFilledInConfigTheUnitAndAReadme() throws Exception {
        assertThat(run("kit", "coordinator", "--dir", pki, "--out", kits, "--federation-id", "colon-2026",
                "--host", "fedmil.example.org", "--port", "7555")).as(err.toString()).isZero();
        assertThat(run("kit", "site", "hospital-a", "--dir", pki, "--out", kits)).as(err.toString()).isZero();

        Path kit = tmp.resolve("kits/site-hospital-a");
        assertThat(out.toString()).contains("Issued CN=hospital-a", kit.toString(), caFingerprint());
        for (String f : new String[] {"key.pem", "cert.pem", "ca.pem", "ca-fingerprint.txt", "site.yaml",
                "fedmil-site.service", "README.md"}) {
            assertThat(kit.resolve(f)).isRegularFile();
        }
        assertThat(Files.getPosixFilePermissions(kit.resolve("key.pem")))
                .isEqualTo(PosixFilePermissions.fromString("rw-------"));
        assertThat(Files.getPosixFilePermissions(kit)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
        assertThat(Files.readString(kit.resolve("ca-fingerprint.txt")).strip()).isEqualTo(caFingerprint());
        assertThat(Files.readString(kit.resolve("cert.pem")))
                .isEqualTo(Files.readString(tmp.resolve("pki/sites/hospital-a/cert.pem")));
        assertThat(Files.readString(kit.resolve("README.md"))).contains(caFingerprint(), "colon-2026",
                "runuser -u fedmil -- /opt/fedmil/bin/fedmil site check --config /etc/fedmil/site/site.yaml",
                "fedmil.example.org:7555").doesNotContain("sudo -u fedmil --");
        assertThat(Files.readString(kit.resolve("fedmil-site.service")))
                .contains("ExecStart=/opt/fedmil/bin/fedmil site run --config /etc/fedmil/site/site.yaml",
                        "cp /etc/fedmil/site/fedmil-site.service /etc/systemd/system/")
                .doesNotContain("--config /etc/fedmil/site.yaml", "sudo");
        String yaml = Files.readString(kit.resolve("site.yaml"));
        assertThat(yaml).doesNotContain("/etc/fedmil/site/cert.pem", "/srv/fedmil/bags")
                .contains("coordinator_fingerprint: \"" + Certificates.sha256Fingerprint(
                        PemFiles.readCertificate(tmp.resolve("pki/coordinator/cert.pem"))));
    }

    @Test
    void theSiteConfigNamesOnlyTheDataFolderAsMissingAndLoadsOnceItIsFilledIn() throws Exception {
        assertThat(run("kit", "site", "hospital-a", "--dir", pki, "--out", kits, "--coordinator",
                "fedmil.example.org:7443")).as(err.toString()).isZero();
        Path yaml = tmp.resolve("kits/site-hospital-a/site.yaml");

        ConfigException unfilled = org.assertj.core.api.Assertions.catchThrowableOfType(() -> SiteConfig.load(yaml,
                ConfigOverrides.none()), ConfigException.class);
        assertThat(unfilled).hasMessageContaining("data_dir").hasMessageContaining(KitTemplates.DATA_DIR_TO_FILL_IN);

        Path bags = Files.createDirectories(tmp.resolve("bags"));
        Files.writeString(yaml, Files.readString(yaml).replace(KitTemplates.DATA_DIR_TO_FILL_IN, bags.toString()));
        SiteConfig config = SiteConfig.load(yaml);
        assertThat(config.coordinator()).isEqualTo(new SiteConfig.Coordinator("fedmil.example.org", 7443));
        assertThat(config.tls().cert()).isEqualTo(tmp.resolve("kits/site-hospital-a/cert.pem"));
        assertThat(config.tls().key()).isEqualTo(tmp.resolve("kits/site-hospital-a/key.pem"));
        assertThat(config.dataDir()).isEqualTo(bags);
    }

    @Test
    void theCoordinatorKitsConfigLoadsWithItsFilesAndPortOnceTheHeldOutSetIsFilledIn() throws Exception {
        assertThat(run("kit", "coordinator", "--dir", pki, "--out", kits, "--federation-id", "colon-2026",
                "--host", "10.0.0.5", "--port", "7555")).as(err.toString()).isZero();
        Path kit = tmp.resolve("kits/coordinator");
        Path yaml = kit.resolve("coordinator.yaml");
        Path heldout = Files.createDirectories(tmp.resolve("heldout"));
        Files.writeString(yaml, Files.readString(yaml).replace(KitTemplates.HELDOUT_DIR_TO_FILL_IN, heldout.toString()));

        CoordinatorConfig config = ConfigFiles.read(yaml, CoordinatorConfig.class, ConfigOverrides.none())
                .resolvedAgainst(yaml);
        assertThat(config.federationId()).isEqualTo("colon-2026");
        assertThat(config.listen().port()).isEqualTo(7555);
        assertThat(config.tls().cert()).isEqualTo(kit.resolve("cert.pem"));
        assertThat(Files.readString(kit.resolve("fedmil-coordinator.service")))
                .contains("SocketBindAllow=tcp:7555", "--config /etc/fedmil/coordinator/coordinator.yaml");
        assertThat(Files.readString(tmp.resolve("pki/federation.json"))).contains("\"coordinator_host\" : \"10.0.0.5\"",
                "\"coordinator_port\" : 7555");
    }

    @Test
    void anAdminKitDefaultsToTheNameAdminAndGivesTheAdminCommandsWithTheRecordedAddress() throws Exception {
        assertThat(run("kit", "coordinator", "--dir", pki, "--out", kits, "--federation-id", "f",
                "--host", "fedmil.example.org")).as(err.toString()).isZero();
        assertThat(run("kit", "admin", "--dir", pki, "--out", kits)).as(err.toString()).isZero();

        Path kit = tmp.resolve("kits/admin-admin");
        assertThat(kit.resolve("key.pem")).isRegularFile();
        assertThat(Files.readString(kit.resolve("README.md")))
                .contains("fedmil admin status --coordinator fedmil.example.org:7443 --credentials admin-admin");
    }

    @Test
    void everyFedmilCommandInTheKitsReadmesParsesAgainstTheRealCommandLine() throws Exception {
        assertThat(run("kit", "coordinator", "--dir", pki, "--out", kits, "--federation-id", "f",
                "--host", "fedmil.example.org")).as(err.toString()).isZero();
        assertThat(run("kit", "site", "hospital-a", "--dir", pki, "--out", kits)).as(err.toString()).isZero();
        assertThat(run("kit", "admin", "alice", "--dir", pki, "--out", kits)).as(err.toString()).isZero();

        List<String> commands = new ArrayList<>();
        for (String kit : List.of("coordinator", "site-hospital-a", "admin-alice")) {
            for (String line : Files.readAllLines(tmp.resolve("kits").resolve(kit).resolve("README.md"))) {
                Matcher m = Pattern.compile("^\\s+(?:runuser -u fedmil -- )?(?:/opt/fedmil/bin/)?fedmil (.*)$")
                        .matcher(line);
                if (m.matches()) {
                    commands.add(m.group(1));
                }
            }
        }
        assertThat(commands).hasSize(5).anyMatch(c -> c.startsWith("site check")).anyMatch(c -> c.startsWith("admin revoke"));
        for (String command : commands) {
            CommandLine.ParseResult leaf = org.fedmil.cli.Fedmil.commandLine().parseArgs(words(command));
            while (leaf.hasSubcommand()) {
                leaf = leaf.subcommand();
            }
            assertThat(leaf.commandSpec().subcommands()).as(command).isEmpty();
        }
    }

    /** Shell words of a README command: spaces, and double quotes around a word. */
    private static String[] words(String command) {
        List<String> words = new ArrayList<>();
        Matcher m = Pattern.compile("\"([^\"]*)\"|(\\S+)").matcher(command);
        while (m.find()) {
            words.add(m.group(1) != null ? m.group(1) : m.group(2));
        }
        return words.toArray(String[]::new);
    }

    @Test
    void withTarTheKitIsAlsoAnArchiveOfTheFolderWithTheKeyOwnerOnly() throws Exception {
        assertThat(run("kit", "site", "hospital-b", "--dir", pki, "--out", kits, "--coordinator", "h:7443", "--tar"))
                .as(err.toString()).isZero();

        Path tarball = tmp.resolve("kits/site-hospital-b.tar.gz");
        assertThat(Files.getPosixFilePermissions(tarball)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
        Map<String, Integer> modes = new HashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GzipCompressorInputStream(
                new ByteArrayInputStream(Files.readAllBytes(tarball))))) {
            for (TarArchiveEntry e = tar.getNextEntry(); e != null; e = tar.getNextEntry()) {
                modes.put(e.getName(), e.getMode() & 0777);
            }
        }
        assertThat(modes).containsEntry("site-hospital-b/key.pem", 0600).containsEntry("site-hospital-b/site.yaml", 0644)
                .containsKeys("site-hospital-b/README.md", "site-hospital-b/ca-fingerprint.txt");
    }

    @Test
    void aSiteKitWithoutAnyCoordinatorAddressIsRefusedBeforeAnyCertificateIsIssued() {
        assertThat(run("kit", "site", "hospital-a", "--dir", pki, "--out", kits)).isEqualTo(1);

        assertThat(err.toString()).contains("no coordinator address", "fedmil pki kit coordinator", "--coordinator");
        assertThat(tmp.resolve("pki/sites/hospital-a")).doesNotExist();
    }

    @Test
    void anExistingKitIsNeverOverwrittenAndAnIssuedCertificateIsReused() throws Exception {
        assertThat(run("issue", "site", "hospital-a", "--dir", pki)).isZero();
        String cert = Files.readString(tmp.resolve("pki/sites/hospital-a/cert.pem"));
        assertThat(run("kit", "site", "hospital-a", "--dir", pki, "--out", kits, "--coordinator", "h:7443")).isZero();
        assertThat(out.toString()).contains("Using the certificate issued earlier in");
        assertThat(Files.readString(tmp.resolve("kits/site-hospital-a/cert.pem"))).isEqualTo(cert);

        assertThat(run("kit", "site", "hospital-a", "--dir", pki, "--out", kits, "--coordinator", "h:7443"))
                .isEqualTo(1);
        assertThat(err.toString()).contains("site-hospital-a already exists; it was not changed");
    }

    @Test
    void aKitOfAPartyWhoseKeyWasDeletedSaysHowToIssueANewOne() throws Exception {
        assertThat(run("issue", "site", "hospital-a", "--dir", pki)).isZero();
        Files.delete(tmp.resolve("pki/sites/hospital-a/key.pem"));

        assertThat(run("kit", "site", "hospital-a", "--dir", pki, "--out", kits, "--coordinator", "h:7443"))
                .isEqualTo(1);
        assertThat(err.toString()).contains("holds no key.pem", "move " + tmp.resolve("pki/sites/hospital-a") + " away");
    }

    @Test
    void badOptionsAreNamed() {
        assertThat(run("kit", "site", "../x", "--dir", pki, "--out", kits, "--coordinator", "h:7443")).isEqualTo(1);
        assertThat(err.toString()).contains("invalid site name '../x'");
        assertThat(run("kit", "admin", "--dir", pki, "--out", kits, "--coordinator", "h")).isEqualTo(1);
        assertThat(err.toString()).contains("--coordinator 'h' is not HOST:PORT");
        assertThat(run("kit", "coordinator", "--dir", pki, "--out", kits, "--federation-id", "f")).isEqualTo(1);
        assertThat(err.toString()).contains("--host is required");
        assertThat(run("kit", "coordinator", "--dir", pki, "--out", kits, "--federation-id", "f", "--host", "h",
                "--port", "70000")).isEqualTo(1);
        assertThat(err.toString()).contains("--port 70000 is not a port");
    }
}
