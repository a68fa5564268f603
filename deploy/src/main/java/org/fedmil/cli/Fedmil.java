package org.fedmil.cli;

import org.fedmil.audit.AuditCommand;
import org.fedmil.bench.mil.MilBenchCommand;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.cli.AdminCommand;
import org.fedmil.coordinator.cli.CoordinatorCommand;
import org.fedmil.data.crc.CrcNucleiCommand;
import org.fedmil.data.fmnist.FmnistBagsCommand;
import org.fedmil.data.synth.SynthCommand;
import org.fedmil.pki.PkiCommand;
import org.fedmil.site.cli.SiteCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one {@code fedmil} launcher: every role's commands under one name. */
@Command(name = "fedmil", mixinStandardHelpOptions = true, versionProvider = Fedmil.Version.class,
        description = "Federated multiple-instance learning for hospital consortia.",
        subcommands = {PkiCommand.class, CoordinatorCommand.class, AdminCommand.class, SiteCommand.class, Fedmil.Data.class,
                DemoCommand.class, SoakCommand.class, TrainLocalCommand.class, AuditCommand.class,
                Fedmil.Bench.class})
public final class Fedmil {

    @Command(name = "data", mixinStandardHelpOptions = true, description = "Data tools.",
            subcommands = {SynthCommand.class, FmnistBagsCommand.class, CrcNucleiCommand.class})
    static final class Data {
    }

    @Command(name = "bench", mixinStandardHelpOptions = true,
            description = "Benchmarks whose results are written to docs/ (results.md, benchmarks.md).",
            subcommands = {MilBenchCommand.class, org.fedmil.bench.perf.PerfBenchCommand.class,
                    org.fedmil.bench.toolbox.ToolboxBenchCommand.class})
    static final class Bench {
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Fedmil());
        // A user's mistake (bad config, missing file) gets one clear line, not a stack trace.
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof ConfigException || e instanceof IllegalArgumentException
                    || e instanceof java.io.UncheckedIOException || isUserFacing(e)) {
                cmd.getErr().println("fedmil: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cl;
    }

    private static boolean isUserFacing(Exception e) {
        return e.getClass().getName().startsWith("org.fedmil.") && e instanceof RuntimeException;
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Fedmil.class.getPackage().getImplementationVersion();
            return new String[] {"fedmil " + (v == null ? "dev" : v), "Java " + System.getProperty("java.version")};
        }
    }
}
