package org.fedmil.bench.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The host's 1-minute load average, printed beside every figure: the machine these run on is shared. */
final class LoadAverage {

    private LoadAverage() {
    }

    static double now() {
        try {
            return Double.parseDouble(Files.readString(Path.of("/proc/loadavg")).split(" ")[0]);
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }
}
