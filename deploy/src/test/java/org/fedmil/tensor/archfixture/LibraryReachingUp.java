package org.fedmil.tensor.archfixture;

import org.fedmil.bench.archfixture.Benchmark;
import org.fedmil.coordinator.round.FederationRun;
import picocli.CommandLine;

/** Breaks the library rules on purpose, for RulesCatchViolationsTest: knows an application, picocli, a benchmark. */
public class LibraryReachingUp {

    FederationRun run;
    CommandLine commandLine;
    Benchmark benchmark;
}
