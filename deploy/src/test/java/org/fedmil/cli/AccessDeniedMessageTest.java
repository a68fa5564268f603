package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import org.junit.jupiter.api.Test;

/**
 * A command that fails on a file it may not read or write prints the file, the user the process runs as and the
 * fix, not an AccessDeniedException stack trace. (A real unreadable file cannot be made for root, which reads
 * everything: UnreadableTest covers that with a file when not run as root.)
 */
class AccessDeniedMessageTest {

    @Command(name = "denied")
    static final class Denied implements Callable<Integer> {
        @Override
        public Integer call() {
            throw new UncheckedIOException(new AccessDeniedException("/var/lib/fedmil-site/state/egress-log.jsonl"));
        }
    }

    @Test
    void anAccessDeniedFailureNamesTheFileTheUserAndTheFixInOneLine() {
        CommandLine cl = Fedmil.commandLine();
        cl.addSubcommand("denied", new Denied());
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err, true));

        int rc = cl.execute("denied");

        String user = System.getProperty("user.name");
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString().strip()).startsWith("fedmil: permission denied on "
                + "/var/lib/fedmil-site/state/egress-log.jsonl for user " + user + " (the user this command runs as)")
                .contains("chown " + user + " /var/lib/fedmil-site/state/egress-log.jsonl")
                .doesNotContain("AccessDeniedException", "\tat ").hasLineCount(1);
    }

    @Test
    void theAccessDeniedBehindWrappingExceptionsIsFound() {
        AccessDeniedException denied = new AccessDeniedException("/etc/fedmil/site/key.pem");

        assertThat(Fedmil.accessDenied(new IllegalStateException("x", new UncheckedIOException(denied))))
                .isSameAs(denied);
        assertThat(Fedmil.accessDenied(new IllegalStateException("no file"))).isNull();
    }
}
