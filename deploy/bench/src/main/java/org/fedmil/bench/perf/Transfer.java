package org.fedmil.bench.perf;

import java.lang.management.ManagementFactory;

/**
 * One timed transfer: how many bytes moved, in how much wall time, and how much CPU time the whole process spent
 * meanwhile. Wall time on a shared machine measures the neighbours as much as the code; CPU seconds per byte do not
 * (as long as nothing else runs in this process during the transfer, which the benchmarks see to), so both are kept.
 *
 * @param bytes     bytes moved
 * @param wallNanos from the first byte handed over to the last one received and acknowledged
 * @param cpuNanos  the process's CPU time (all its threads, sender and receiver together) over the same span
 */
public record Transfer(long bytes, long wallNanos, long cpuNanos) {

    public Transfer {
        if (bytes <= 0 || wallNanos <= 0 || cpuNanos < 0) {
            throw new IllegalArgumentException("a transfer of " + bytes + " bytes in " + wallNanos + " ns wall, "
                    + cpuNanos + " ns CPU: bytes and wall time must be positive, CPU time not negative");
        }
    }

    /** Bytes per wall-clock second. */
    public double rate() {
        return bytes / (wallNanos / 1e9);
    }

    /** Bytes per CPU second of the process: higher is cheaper. */
    public double perCpuSecond() {
        return cpuNanos == 0 ? Double.POSITIVE_INFINITY : bytes / (cpuNanos / 1e9);
    }

    /** CPU seconds per GB (10^9 bytes): lower is cheaper. */
    public double cpuSecondsPerGb() {
        return (cpuNanos / 1e9) / (bytes / 1e9);
    }

    /** Times {@code work}, which moves {@code bytes} and returns when they have all arrived. */
    public static Transfer time(long bytes, Work work) throws Exception {
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        work.run();
        long wall = System.nanoTime() - t0;
        return new Transfer(bytes, wall, processCpuNanos() - cpu0);
    }

    /** The CPU time of this process so far, all threads, user and system. */
    public static long processCpuNanos() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        throw new IllegalStateException("this JVM does not report its process CPU time "
                + "(com.sun.management.OperatingSystemMXBean); run the benchmark on OpenJDK or a JDK built from it");
    }

    /** A transfer to time. */
    @FunctionalInterface
    public interface Work {
        void run() throws Exception;
    }
}
