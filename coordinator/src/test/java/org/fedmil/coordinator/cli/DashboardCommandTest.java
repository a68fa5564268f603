package org.fedmil.coordinator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil dashboard --state} refuses what is not a state folder, naming the option or the missing file. */
class DashboardCommandTest {

    @TempDir
    Path dir;

    private String fails(String... args) {
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new DashboardCommand());
        cl.setErr(new PrintWriter(err));
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println(e.getMessage());
            return 2;
        });
        assertThat(cl.execute(args)).isNotZero();
        return err.toString();
    }

    @Test
    void aMissingFolderAFolderThatIsNotAStateFolderAndAHalfTlsPairAreRefused() {
        assertThat(fails("--state", dir.resolve("nope").toString()))
                .contains("--state " + dir.resolve("nope") + ": no such folder");
        assertThat(fails("--state", dir.toString(), "--port", "0"))
                .contains(dir + " has no federation.json: give the state_dir of a coordinator");
        assertThat(fails("--state", dir.toString(), "--cert", "c.pem")).contains("give both --cert and --key");
        assertThat(fails("--port", "0")).contains("Missing required option: '--state=DIR'");
    }
}
