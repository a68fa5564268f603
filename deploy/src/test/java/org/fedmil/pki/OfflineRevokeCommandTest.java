package org.fedmil.pki;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.coordinator.admin.OfflineRevocations;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil pki revoke SITE --offline} writes a revocation file that checks against the consortium CA. */
class OfflineRevokeCommandTest {

    @TempDir
    Path tmp;

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        return new CommandLine(new PkiCommand()).setOut(new PrintWriter(out, true))
                .setErr(new PrintWriter(err, true)).execute(args);
    }

    @Test
    void revokingOfflineWritesACaSignedFileKeepingEarlierEntries() throws Exception {
        String pki = tmp.resolve("pki").toString();
        Path state = Files.createDirectories(tmp.resolve("state"));
        assertThat(run("init", "--dir", pki, "--name", "Consortium")).isZero();

        assertThat(run("revoke", "hospital-a", "--offline", "--reason", "audit", "--dir", pki, "--state-dir",
                state.toString())).as(err.toString()).isZero();
        assertThat(run("revoke", "hospital-b", "--offline", "--reason", "key on a shared drive", "--dir", pki,
                "--state-dir", state.toString())).as(err.toString()).isZero();

        var ca = PemFiles.readCertificate(tmp.resolve("pki/ca/ca.pem")).getPublicKey();
        assertThat(OfflineRevocations.read(state.resolve(OfflineRevocations.FILE), ca))
                .extracting(OfflineRevocations.Entry::site, OfflineRevocations.Entry::reason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("hospital-a", "audit"),
                        org.assertj.core.groups.Tuple.tuple("hospital-b", "key on a shared drive"));
        assertThat(out.toString()).contains("the running coordinator revokes 'hospital-b' within seconds");
    }

    @Test
    void aStateDirThatIsNotAFolderIsNamed() {
        String pki = tmp.resolve("pki").toString();
        assertThat(run("init", "--dir", pki, "--name", "Consortium")).isZero();

        assertThat(run("revoke", "hospital-a", "--offline", "--reason", "r", "--dir", pki, "--state-dir",
                tmp.resolve("nowhere").toString())).isNotZero();
        assertThat(err.toString()).contains("--state-dir " + tmp.resolve("nowhere")
                + " is not a folder; give the coordinator's state_dir");
    }
}
