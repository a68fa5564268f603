package org.fedmil.bench.perf;

import java.util.List;

/** One benchmark of {@code fedmil bench perf}: measures one or more {@link Figure}s, each against its own baseline. */
public interface PerfBenchmark {

    /** Short id used by {@code --only}, e.g. {@code aggregation}. */
    String id();

    /** Runs the benchmark (warm-up, then repetitions) and returns its figures. */
    List<Figure> run(PerfContext context) throws Exception;
}
