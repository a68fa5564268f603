package org.fedmil.coordinator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Revoke and abort are the commands an operator needs most on a host too loaded to answer quickly: each attempt
 * may take 120 s (connection, TLS handshake and answer) instead of 30 s, and they retry for 300 s by default
 * instead of 60 s; --retry-for still overrides.
 */
class EmergencyAdminCommandsTest {

    private static AdminCommand.Call parsed(String... args) {
        CommandLine cli = new CommandLine(new AdminCommand());
        String[] all = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                java.util.stream.Stream.of("--coordinator", "localhost:7443", "--credentials", "admin"))
                .toArray(String[]::new);
        CommandLine.ParseResult r = cli.parseArgs(all);
        return (AdminCommand.Call) r.subcommand().commandSpec().userObject();
    }

    @Test
    void revokeAndAbortWaitLongerPerAttemptAndRetryLongerThanOtherCommands() {
        AdminCommand.Call revoke = parsed("revoke", "site-b", "--reason", "key stolen");
        AdminCommand.Call abort = parsed("abort", "--reason", "incident");
        AdminCommand.Call status = parsed("status");

        assertThat(revoke.attemptDeadline()).isEqualTo(Duration.ofSeconds(120));
        assertThat(abort.attemptDeadline()).isEqualTo(Duration.ofSeconds(120));
        assertThat(status.attemptDeadline()).isEqualTo(Duration.ofSeconds(30));
        assertThat(revoke.defaultRetryForSeconds()).isEqualTo(300);
        assertThat(abort.defaultRetryForSeconds()).isEqualTo(300);
        assertThat(status.defaultRetryForSeconds()).isEqualTo(60);
        assertThat(parsed("revoke", "site-b", "--reason", "r", "--retry-for", "5").retryForSeconds).isEqualTo(5);
    }
}
