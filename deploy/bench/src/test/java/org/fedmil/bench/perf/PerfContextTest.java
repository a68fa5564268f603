package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class PerfContextTest {

    @Test
    void aRelativeWorkFolderIsMadeAbsoluteSoThatPathsWrittenIntoConfigFilesResolveOnce() {
        PerfContext context = new PerfContext(Path.of("target/bench-perf/../bench-perf"),
                new PrintStream(OutputStream.nullOutputStream()), true);
        assertThat(context.work()).isAbsolute()
                .isEqualTo(Path.of("").toAbsolutePath().resolve("target/bench-perf"));
    }
}
