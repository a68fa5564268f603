package org.fedmil.bench.scale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scale benchmark's quick variant: 10 simulated sites, 2 rounds, a child-JVM coordinator over mutual TLS. It
 * checks that the federation completes and every site's update of every round was accepted; no timing is asserted
 * (figures are for {@code fedmil bench perf}, not for a shared CI machine).
 */
class ScaleSmokeIT {

    @Test
    void tenSimulatedSitesCompleteTwoRounds(@TempDir Path dir) throws Exception {
        ScaleRun.Result r = ScaleRun.run(dir, 10, 2, 2_000, "512m", System.out);
        assertEquals(10, r.sites());
        assertEquals(20, r.uploads(), "every site's update of every round");
        assertTrue(r.peakThreads() >= r.idleThreads());
        assertTrue(r.loadedHeapBytes() > 0);
    }
}
