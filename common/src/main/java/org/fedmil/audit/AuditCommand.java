package org.fedmil.audit;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.util.concurrent.Callable;
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
        subcommands = {AuditCommand.Verify.class})
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
                    + "(a torn last line is reported as a warning), 1 at the first bad record, 2 on a usage error.")
    static final class Verify implements Callable<Integer> {

        @Spec
        CommandSpec spec;

        @Parameters(index = "0", paramLabel = "LOG", description = "The round log (round-log.jsonl in the "
                + "coordinator's state folder).")
        Path logFile;

        @Option(names = "--ca", required = true, paramLabel = "CA.pem", description = "The consortium CA certificate.")
        Path caFile;

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
                return 1;
            }
            out.println("OK: " + v.records() + " records, chain and signatures verified, head " + v.head());
            return 0;
        }
    }
}
