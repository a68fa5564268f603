package org.fedmil.bench;

import org.fedmil.bench.attack.AttackBenchCommand;
import org.fedmil.bench.mil.MilBenchCommand;
import org.fedmil.bench.peers.PeersBenchCommand;
import org.fedmil.bench.perf.PerfBenchCommand;
import org.fedmil.bench.toolbox.ToolboxBenchCommand;
import org.fedmil.cli.ExtraCommand;
import picocli.CommandLine.Command;

/** {@code fedmil bench}: joins the launcher through {@link ExtraCommand} when this module is on the class path. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Benchmarks whose results are written to docs/ (results.md, benchmarks.md).",
        subcommands = {MilBenchCommand.class, PerfBenchCommand.class, ToolboxBenchCommand.class,
                AttackBenchCommand.class, PeersBenchCommand.class})
public final class BenchCommand implements ExtraCommand {

    @Override
    public Object command() {
        return this;
    }
}
