package org.fedmil.audit;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedmil.util.AtomicFiles;
import org.fedmil.pki.PemFiles;
import org.fedmil.pki.PkiException;
import picocli.CommandLine.Command;
import picocli.CommandLine.ExitCode;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code fedmil audit}: tools for auditors. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Check what the coordinator recorded.",
        subcommands = {AuditCommand.Verify.class, AuditCommand.Report.class, AuditCommand.Crosscheck.class})
public final class AuditCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCode.USAGE;
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Verify a coordinator round log: record schema, sequence, hash chain, signatures and the "
                    + "signing certificate's chain to the consortium CA. Exit 0 if every complete record verifies "
                    + "(a torn last line is reported as a warning) and every --head and receipt matches the log, 1 at the "
                    + "first bad record or for any head or receipt the log no longer holds (TRUNCATED, FORKED), "
                    + "2 on a usage error.")
    static final class Verify implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "LOG", description = "The round log (round-log.jsonl in the "
                + "coordinator's state folder).")
        Path logFile;

        @Option(names = "--ca", required = true, paramLabel = "CA.pem", description = "The consortium CA certificate.")
        Path caFile;

        @Option(names = "--head", paramLabel = "HEAD.json", description = "A signed log head you hold "
                + "(round-log.head.json, a site's log-head.json); the log must still hold its record with its hash. "
                + "Repeatable.")
        List<Path> heads = new ArrayList<>();

        @Option(names = "--receipts", paramLabel = "DIR", description = "A folder of signed receipts (searched "
                + "recursively for *.json); each receipt's update_accepted record must still be in the log.")
        Path receiptsDir;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!Files.isRegularFile(logFile)) {
                err.println("fedmil audit verify: " + logFile + " is not a file");
                return 2;
            }
            X509Certificate ca;
            try {
                ca = PemFiles.readCertificate(caFile);
            } catch (PkiException e) {
                err.println("fedmil audit verify: " + e.getMessage());
                return 2;
            }
            RoundLogVerifier.Verdict v;
            try {
                v = RoundLogVerifier.verify(logFile, ca);
            } catch (IOException e) {
                err.println("fedmil audit verify: cannot read " + logFile + ": " + e.getMessage());
                return 2;
            }
            if (v.tornLastLine()) {
                err.println("WARNING: line " + (v.records() + 1) + " is torn (no newline): an append interrupted by "
                        + "a crash; it is not part of the chain and was not verified");
            }
            if (!v.ok()) {
                out.println("line " + v.firstBadLine() + ": " + v.problem());
                out.println("FAILED: " + v.records() + " records before it verified");
                if (!heads.isEmpty() || receiptsDir != null) {
                    out.println("heads and receipts not checked: the log itself does not verify");
                }
                return 1;
            }
            String vouched;
            try {
                vouched = RoundLogVerifier.schemaOf(Files.readAllBytes(logFile)) == RecordSchema.ROUND_LOG
                        ? "; " + cosigned(v) : "";
            } catch (IOException e) {
                err.println("fedmil audit verify: cannot read " + logFile + ": " + e.getMessage());
                return 2;
            }
            out.println("OK: " + v.records() + " records, chain and signatures verified, head " + v.head() + vouched);
            if (heads.isEmpty() && receiptsDir == null) {
                return 0;
            }
            List<AnchorCheck.Result> results = new ArrayList<>();
            try {
                LogRecords records = LogRecords.read(logFile, v.records());
                if (records.schema() != RecordSchema.ROUND_LOG) {
                    // heads and receipts are the coordinator's statements about its round log, not a site's log
                    err.println("fedmil audit verify: --head and --receipts check a coordinator round log; "
                            + logFile + " is an " + records.schema().name() + " (use 'fedmil audit crosscheck')");
                    return 2;
                }
                AnchorCheck anchors = new AnchorCheck(records);
                for (Path head : heads) {
                    results.add(anchors.check(head));
                }
                if (receiptsDir != null) {
                    if (!Files.isDirectory(receiptsDir)) {
                        err.println("fedmil audit verify: --receipts " + receiptsDir + " is not a folder");
                        return 2;
                    }
                    results.addAll(anchors.checkAll(receiptsDir));
                }
            } catch (IOException e) {
                err.println("fedmil audit verify: " + e.getMessage());
                return 2;
            }
            for (AnchorCheck.Result r : results) {
                out.println(r.line());
            }
            long bad = results.stream().filter(r -> !r.ok()).count();
            if (bad > 0) {
                out.println("FAILED: " + bad + " of " + results.size() + " signed heads/receipts do not match the log");
                return 1;
            }
            return 0;
        }

        /** How much of the log the sites vouched for: a rewrite of the rest is not caught by this command. */
        private static String cosigned(RoundLogVerifier.Verdict v) {
            if (v.cosignedRecords() == 0) {
                return "no site countersigned a head of this log (check its end with 'fedmil audit crosscheck')";
            }
            return "the sites countersigned the first " + v.cosignedRecords() + " records, the last "
                    + (v.records() - v.cosignedRecords()) + " are vouched for by the coordinator alone (check them "
                    + "with 'fedmil audit crosscheck')";
        }
    }

    /** Reads the CA, or says why not; null after printing the problem. */
    private static X509Certificate readCa(Path caFile, PrintWriter err, String command) {
        try {
            return PemFiles.readCertificate(caFile);
        } catch (PkiException e) {
            err.println("fedmil audit " + command + ": " + e.getMessage());
            return null;
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true,
            description = "Write a self-contained HTML report of a verified round log: federation summary, sites, "
                    + "rounds, refusals, held-out AUC and privacy spent per site. Refuses a log that does not "
                    + "verify (exit 1) unless --unverified is given. Exit 0 when written, 2 on a usage error.")
    static final class Report implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "LOG", description = "The round log (round-log.jsonl).")
        Path logFile;

        @Option(names = "--ca", required = true, paramLabel = "CA.pem", description = "The consortium CA certificate.")
        Path caFile;

        @Option(names = {"-o", "--output"}, paramLabel = "report.html", defaultValue = "report.html",
                description = "Where to write the report (default: ${DEFAULT-VALUE}).")
        Path output;

        @Option(names = "--unverified", description = "Report on a log that does not verify, under a red banner "
                + "saying so.")
        boolean unverified;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (!Files.isRegularFile(logFile)) {
                err.println("fedmil audit report: " + logFile + " is not a file");
                return 2;
            }
            X509Certificate ca = readCa(caFile, err, "report");
            if (ca == null) {
                return 2;
            }
            try {
                RoundLogVerifier.Verdict v = RoundLogVerifier.verify(logFile, ca);
                if (!v.ok() && !unverified) {
                    out.println("line " + v.firstBadLine() + ": " + v.problem());
                    out.println("REFUSED: the log does not verify, so no report was written; run 'fedmil audit "
                            + "verify' for details, or give --unverified to report on it anyway");
                    return 1;
                }
                LogRecords records = v.ok() ? LogRecords.read(logFile, v.records()) : LogRecords.readAll(logFile);
                String html = ReportPage.render(ReportModel.of(records, v));
                byte[] bytes = html.getBytes(StandardCharsets.UTF_8);
                AtomicFiles.write(output, o -> o.write(bytes));
                out.println((v.ok() ? "OK" : "UNVERIFIED") + ": report of " + records.size() + " records written to "
                        + output);
                return 0;
            } catch (IOException e) {
                err.println("fedmil audit report: " + e.getMessage());
                return 2;
            }
        }
    }

    @Command(name = "crosscheck", mixinStandardHelpOptions = true,
            description = "Hold a site's egress log and receipts against the coordinator's round log. Prints one "
                    + "line per disagreement and a summary; exit 0 if they agree, 1 if not, 2 on a usage error.")
    static final class Crosscheck implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Option(names = "--log", required = true, paramLabel = "round-log.jsonl",
                description = "The coordinator's round log.")
        Path logFile;

        @Option(names = "--ca", required = true, paramLabel = "CA.pem", description = "The consortium CA certificate.")
        Path caFile;

        @Option(names = "--egress", required = true, paramLabel = "egress-log.jsonl",
                description = "The site's egress log (in the site agent's state folder).")
        Path egressFile;

        @Option(names = "--receipts", paramLabel = "DIR", description = "The site's receipts folder; every *.json "
                + "under it (receipts and log-head.json) is checked. Receipts the egress log names are checked "
                + "in any case.")
        Path receiptsDir;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            for (Path f : new Path[] {logFile, egressFile}) {
                if (!Files.isRegularFile(f)) {
                    err.println("fedmil audit crosscheck: " + f + " is not a file");
                    return 2;
                }
            }
            if (receiptsDir != null && !Files.isDirectory(receiptsDir)) {
                err.println("fedmil audit crosscheck: --receipts " + receiptsDir + " is not a folder");
                return 2;
            }
            X509Certificate ca = readCa(caFile, err, "crosscheck");
            if (ca == null) {
                return 2;
            }
            CrossCheck.Result result;
            try {
                result = CrossCheck.run(logFile, egressFile, receiptsDir, ca);
            } catch (IllegalArgumentException e) {
                err.println("fedmil audit crosscheck: " + e.getMessage());
                return 2;
            } catch (IOException e) {
                err.println("fedmil audit crosscheck: " + e.getMessage());
                return 2;
            }
            for (Disagreement d : result.disagreements()) {
                out.println(d.line());
            }
            out.println(result.summary());
            return result.agree() ? 0 : 1;
        }
    }
}
