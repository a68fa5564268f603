package org.fedmil.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class PkiCommandTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        out.getBuffer().setLength(0);
        err.getBuffer().setLength(0);
        return new CommandLine(new PkiCommand())
                .setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true))
                .execute(args);
    }

    @Test
    void initPrintsTheFilesWrittenAndTheCaFingerprint() {
        Path pki = tmp.resolve("pki");

        assertThat(run("init", "--dir", pki.toString(), "--name", "Northern Pathology")).isZero();

        String fingerprint = Certificates.sha256Fingerprint(PemFiles.readCertificate(pki.resolve("ca/ca.pem")));
        assertThat(out.toString())
                .contains(pki.resolve("ca/ca.key.pem").toString())
                .contains(pki.resolve("ca/ca.pem").toString())
                .contains("SHA-256 fingerprint " + fingerprint);
        assertThat(fingerprint).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
    }

    @Test
    void issueCommandsWriteEachPartyFolder() {
        String dir = tmp.resolve("pki").toString();
        assertThat(run("init", "--dir", dir, "--name", "Consortium")).isZero();

        assertThat(run("issue", "coordinator", "--dir", dir, "--host", "fedmil.example.org", "--host", "10.0.0.5"))
                .as(err.toString()).isZero();
        assertThat(run("issue", "site", "--dir", dir, "--days", "90", "hospital-a")).as(err.toString()).isZero();
        Path site = tmp.resolve("pki/sites/hospital-a");
        assertThat(out.toString())
                .contains(site.resolve("key.pem").toString())
                .contains(site.resolve("cert.pem").toString())
                .contains(site.resolve("ca.pem").toString())
                .contains(Certificates.sha256Fingerprint(PemFiles.readCertificate(site.resolve("cert.pem"))));
        assertThat(run("issue", "admin", "--dir", dir, "alice")).as(err.toString()).isZero();

        assertThat(tmp.resolve("pki/coordinator/cert.pem")).exists();
        assertThat(tmp.resolve("pki/admins/alice/key.pem")).exists();
    }

    @Test
    void secondInitFailsWithAMessageAndNoStackTrace() {
        String dir = tmp.resolve("pki").toString();
        assertThat(run("init", "--dir", dir, "--name", "Consortium")).isZero();

        assertThat(run("init", "--dir", dir, "--name", "Consortium")).isEqualTo(1);

        assertThat(err.toString()).startsWith("fedmil pki init: a consortium CA already exists in")
                .doesNotContain("Exception").doesNotContain("\tat ");
    }

    @Test
    void issueWithoutCaTellsToRunInit() {
        assertThat(run("issue", "site", "--dir", tmp.resolve("none").toString(), "hospital-a")).isEqualTo(1);

        assertThat(err.toString()).contains("fedmil pki init").doesNotContain("\tat ");
        assertThat(tmp.resolve("none")).doesNotExist();
    }

    @Test
    void invalidSiteNameFailsWithAMessage() {
        String dir = tmp.resolve("pki").toString();
        assertThat(run("init", "--dir", dir, "--name", "Consortium")).isZero();

        assertThat(run("issue", "site", "--dir", dir, "../escape")).isEqualTo(1);

        assertThat(err.toString()).contains("invalid site name '../escape'").doesNotContain("\tat ");
    }

    @Test
    void missingSubcommandPrintsUsage() {
        assertThat(run("issue")).isEqualTo(CommandLine.ExitCode.USAGE);
        assertThat(err.toString()).contains("coordinator").contains("site").contains("admin");
    }
}
