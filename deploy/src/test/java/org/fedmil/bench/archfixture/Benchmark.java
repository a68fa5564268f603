package org.fedmil.bench.archfixture;

/** Stands for a benchmark class, for RulesCatchViolationsTest (the real ones are not on this class path). */
public class Benchmark {
}
