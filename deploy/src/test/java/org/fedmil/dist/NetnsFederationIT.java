package org.fedmil.dist;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.abort;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The federation across Linux network namespaces (deploy/netns/federation-netns.sh): a coordinator and 3 sites
 * with their own addresses, one site's link cut mid-round and restored, the federation checked. Runs within
 * {@code mvn verify} (after {@code package}, which it needs) wherever the machine allows namespaces: root, the
 * {@code ip} command, CAP_SYS_ADMIN. Elsewhere it is skipped, with the reason.
 */
class NetnsFederationIT {

    @TempDir
    Path tmp;

    @Test
    void aFederationAcrossNetworkNamespacesSurvivesACutLinkAndFinishes() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "not root: network namespaces need root");
        assumeTrue(Files.isExecutable(Path.of("/usr/sbin/ip")) || Files.isExecutable(Path.of("/sbin/ip"))
                || Files.isExecutable(Path.of("/usr/bin/ip")), "the 'ip' command is not installed");
        Path script = Path.of("netns", "federation-netns.sh").toAbsolutePath();
        assertThat(script).exists();
        Path log = tmp.resolve("netns.log");
        Process p = new ProcessBuilder("bash", script.toString(), "--lib", Path.of("target", "fedmil", "lib")
                .toAbsolutePath().toString(), "--work", tmp.resolve("work").toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(10, TimeUnit.MINUTES)) {
            p.destroyForcibly();
            throw new AssertionError("the namespace federation did not end within 10 minutes:\n" + tail(log));
        }
        String out = tail(log);
        System.out.println(out);
        if (p.exitValue() == 77) {
            abort("the namespace federation was skipped: " + out.strip());
        }
        assertThat(p.exitValue()).as(out).isZero();
    }

    private static String tail(Path log) throws IOException {
        String text = Files.readString(log, StandardCharsets.UTF_8);
        return text.length() > 6000 ? text.substring(text.length() - 6000) : text;
    }
}
