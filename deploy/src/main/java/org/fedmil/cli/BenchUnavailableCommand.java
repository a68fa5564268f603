package org.fedmil.cli;

import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Unmatched;

/**
 * {@code fedmil bench} where the benchmarks are absent, as in the install package: one line saying where they are
 * run from instead of picocli's "unknown command".
 */
@Command(name = "bench", description = "Benchmarks (results in docs/results.md and docs/benchmarks.md): run from a "
        + "source checkout, they are not in the install package.")
final class BenchUnavailableCommand implements Callable<Integer> {

    static final String MESSAGE = "fedmil: the benchmarks are not part of the install package; run them from a source "
            + "checkout of FedMIL with ./fedmil bench mil|perf|toolbox (see docs/benchmarks.md and docs/results.md)";

    @Unmatched
    List<String> ignored;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getErr().println(MESSAGE);
        spec.commandLine().getErr().flush();
        return 2;
    }
}
