package org.fedmil.bench.perf;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What every benchmark gets: a scratch folder, where to print progress, and whether this is a quick run (the
 * smoke test in the suite: small sizes, few repetitions, figures not published).
 */
public record PerfContext(Path work, PrintStream out, boolean quick) {

    /**
     * Makes {@code work} absolute: benchmarks write configuration files into it that name other paths in it, and
     * the coordinator resolves a relative path in its config against the config's own folder, so a relative
     * {@code --work} (the default, {@code target/bench-perf}) was resolved twice and named folders that do not exist.
     */
    public PerfContext {
        work = work.toAbsolutePath().normalize();
    }

    /** {@code full} in a real run, {@code quick} in a smoke run. */
    public int pick(int full, int quick) {
        return this.quick ? quick : full;
    }

    public long pick(long full, long quick) {
        return this.quick ? quick : full;
    }
}
