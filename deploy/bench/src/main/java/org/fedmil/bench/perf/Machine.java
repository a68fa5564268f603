package org.fedmil.bench.perf;

import java.lang.management.ManagementFactory;
import java.util.Locale;

/** The machine a run was made on, printed above the table: figures from different machines do not compare. */
public record Machine(int cores, long memoryBytes, String jvm, String os) {

    public static Machine current() {
        long memory = -1;
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            memory = os.getTotalMemorySize();
        }
        return new Machine(Runtime.getRuntime().availableProcessors(), memory,
                System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    }

    public String describe() {
        return String.format(Locale.ROOT, "%d cores, %.1f GiB memory, %s, %s", cores, memoryBytes / (1024.0 * 1024 * 1024),
                jvm, os);
    }
}
