package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** {@code fedmil audit crosscheck}: what the auditor sees of {@link CrossCheck}'s verdict, and its usage errors. */
class AuditCrosscheckCommandTest {

    @TempDir
    Path tmp;

    @Test
    void theCrosscheckCommandPrintsOneLinePerDisagreementAndExitsOneWhenAny() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp);
        f.notLoggedBySite.add("site-a/1");
        f.run();

        String agree = cli(f, "site-b");
        assertThat(agree).startsWith("0|OK: site site-b: 3 uploads, 2 receipts, 4 heads checked; 0 disagreements");

        String disagree = cli(f, "site-a");
        assertThat(disagree).startsWith("1|UPDATE_NEVER_SENT site=site-a round=1 sha256="
                + FederationFixture.deltaSha("site-a", 1)).contains("DISAGREE: site site-a: 2 uploads, 2 receipts, "
                + "4 heads checked; 1 disagreements");
    }

    @Test
    void theCrosscheckCommandRefusesTwoRoundLogsWithAUsageError() throws Exception {
        FederationFixture f = FederationFixture.pki(tmp).run();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AuditCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute("crosscheck", "--log", f.roundLog.toString(), "--ca", f.caFile.toString(),
                "--egress", f.roundLog.toString());
        assertThat(exit).isEqualTo(2);
        assertThat(err.toString()).contains("is not an egress log", "--egress");
    }

    private static String cli(FederationFixture f, String site) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new AuditCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int exit = cl.execute("crosscheck", "--log", f.roundLog.toString(), "--ca", f.caFile.toString(),
                "--egress", f.egressLog(site).toString(), "--receipts", f.receipts(site).toString());
        return exit + "|" + out + err;
    }
}
