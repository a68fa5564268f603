package org.fedmil.cli;

import java.util.ServiceLoader;
import org.fedmil.audit.AuditCommand;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.cli.AdminCommand;
import org.fedmil.coordinator.cli.CoordinatorCommand;
import org.fedmil.data.arrays.ArrayBagsCommand;
import org.fedmil.data.crc.CrcNucleiCommand;
import org.fedmil.data.fmnist.FmnistBagsCommand;
import org.fedmil.data.mnist.MnistBagsCommand;
import org.fedmil.data.split.SplitCommand;
import org.fedmil.data.synth.SynthCommand;
import org.fedmil.data.tiles.TilesCommand;
import org.fedmil.data.slide.SlidesCommand;
import org.fedmil.data.dicom.DicomCommand;
import org.fedmil.data.features.FeaturesCommand;
import org.fedmil.site.cli.PredictCommand;
import org.fedmil.pki.PkiCommand;
import org.fedmil.site.cli.SiteCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The one {@code fedmil} launcher: every role's commands under one name. */
@Command(name = "fedmil", mixinStandardHelpOptions = true, versionProvider = Fedmil.Version.class,
        description = "Federated multiple-instance learning for hospital consortia.",
        subcommands = {PkiCommand.class, CoordinatorCommand.class, AdminCommand.class, SiteCommand.class, Fedmil.Data.class,
                DemoCommand.class, SoakCommand.class, TrainLocalCommand.class, PredictCommand.class, AuditCommand.class,
                ModelCommand.class})
public final class Fedmil {

    @Command(name = "data", mixinStandardHelpOptions = true, description = "Data tools.",
            subcommands = {SynthCommand.class, FmnistBagsCommand.class, MnistBagsCommand.class, CrcNucleiCommand.class,
                    TilesCommand.class, SlidesCommand.class, DicomCommand.class, FeaturesCommand.class, ArrayBagsCommand.class, SplitCommand.class})
    static final class Data {
    }

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new Fedmil());
        cl.addSubcommand(new org.fedmil.coordinator.cli.DashboardCommand()); // a state folder's dashboard, read-only
        // the benchmarks join from their own jar when it is on the class path (a source checkout's ./fedmil);
        // the install package has none, and its `fedmil bench` says where benchmarks are run from
        for (ExtraCommand extra : ServiceLoader.load(ExtraCommand.class)) {
            cl.addSubcommand(extra.command());
        }
        if (!cl.getSubcommands().containsKey("bench")) {
            cl.addSubcommand(new BenchUnavailableCommand());
        }
        cl.addSubcommand(new CdsArchiveCommand());
        // A user's mistake (bad config, missing file) gets one clear line, not a stack trace.
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            java.nio.file.AccessDeniedException denied = accessDenied(e);
            boolean userFacing = e instanceof ConfigException || isUserFacing(e);
            if (denied != null && !(userFacing && String.valueOf(e.getMessage()).contains("(the user this "))) {
                cmd.getErr().println("fedmil: " + (userFacing ? e.getMessage() + "; " : "")
                        + org.fedmil.util.Unreadable.denied(denied));
                return 2;
            }
            if (e instanceof ConfigException || e instanceof IllegalArgumentException
                    || e instanceof java.io.UncheckedIOException || isUserFacing(e)) {
                cmd.getErr().println("fedmil: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        return cl;
    }

    /** The AccessDeniedException behind {@code e}, which a user fixes with chown/chmod, not a bug report. */
    static java.nio.file.AccessDeniedException accessDenied(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof java.nio.file.AccessDeniedException denied) {
                return denied;
            }
        }
        return null;
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
