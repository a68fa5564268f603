package org.fedmil.bench.perf;

import java.io.PrintStream;
import java.nio.file.Path;

/**
 * What every benchmark gets: a scratch folder, where to print progress, and whether this is a quick run (the
 * smoke test in the suite: small sizes, few repetitions, figures not published).
 */
public record PerfContext(Path work, PrintStream out, boolean quick) {

    /** {@code full} in a real run, {@code quick} in a smoke run. */
    public int pick(int full, int quick) {
        return this.quick ? quick : full;
    }

    public long pick(long full, long quick) {
        return this.quick ? quick : full;
    }
}
