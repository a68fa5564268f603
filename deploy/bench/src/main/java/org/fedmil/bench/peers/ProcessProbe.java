package org.fedmil.bench.peers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Peak resident memory and CPU time of child processes, read from /proc while they run: VmHWM (the kernel's own
 * high-water mark of the resident set) from /proc/PID/status and utime + stime from /proc/PID/stat. Read every
 * {@value #PERIOD_MS} ms; the last reading before a process exits is kept, so its CPU time is short by at most one
 * period. Linux only.
 */
final class ProcessProbe implements AutoCloseable {

    static final int PERIOD_MS = 100;
    /** Clock ticks per second of /proc/PID/stat's times; 100 on every Linux this runs on (getconf CLK_TCK). */
    private static final double TICKS = 100.0;

    /** What was last read of one process. */
    record Reading(long peakRssKib, double cpuSeconds) {
        double peakRssMib() {
            return peakRssKib / 1024.0;
        }
    }

    private final Map<Long, Reading> last = new ConcurrentHashMap<>();
    private final List<ProcessHandle> watched = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;

    ProcessProbe() {
        thread = new Thread(this::loop, "process-probe");
        thread.setDaemon(true);
        thread.start();
    }

    void watch(Process p) {
        watched.add(p.toHandle());
        read(p.pid());
    }

    /** The last reading of {@code p}; zeros if it exited before it was read. */
    Reading of(Process p) {
        return last.getOrDefault(p.pid(), new Reading(0, 0));
    }

    private void loop() {
        while (running) {
            for (ProcessHandle h : watched) {
                if (h.isAlive()) {
                    read(h.pid());
                }
            }
            try {
                Thread.sleep(PERIOD_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void read(long pid) {
        try {
            long hwm = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    hwm = Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name in parentheses may hold spaces: fields are counted after its closing parenthesis
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
            if (hwm > 0) {
                last.put(pid, new Reading(hwm, cpu));
            }
        } catch (IOException | RuntimeException e) {
            // exited between the check and the read: the previous reading stands
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
