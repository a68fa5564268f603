package org.fedmil.bench.peers;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where a FedMIL process's memory is, halfway through a run: the JVM's Native Memory Tracking summary
 * ({@code jcmd PID VM.native_memory summary}, the process started with -XX:NativeMemoryTracking=summary) beside
 * the process's resident set at the same moment. NMT sees what the JVM allocates (heap, class metadata, threads,
 * code, GC, direct buffers under "Other"); what the resident set holds beyond it is native code and memory the JVM
 * does not track: libtorch and other JNI libraries, glibc's arenas.
 */
final class NativeMemory {

    private static final Pattern CATEGORY = Pattern.compile(
            "^-\\s+(.+?) \\(reserved=(\\d+)KB, committed=(\\d+)KB\\)", Pattern.MULTILINE);
    private static final Pattern TOTAL = Pattern.compile("Total: reserved=(\\d+)KB, committed=(\\d+)KB");

    private NativeMemory() {
    }

    /** In the background: once half the rounds are recorded, a snapshot of both processes, printed and saved. */
    static void snapshotMidway(Path metrics, int rounds, Process coordinator, Process site, Path work,
                               PrintStream log) {
        Thread t = new Thread(() -> {
            try {
                int half = Math.max(1, rounds / 2);
                while (coordinator.isAlive() && recorded(metrics) < half) {
                    Thread.sleep(200);
                }
                if (!coordinator.isAlive()) {
                    return;
                }
                log.println(summary("coordinator", coordinator, work.resolve("nmt-coordinator.txt")));
                log.println(summary("site-1", site, work.resolve("nmt-site-1.txt")));
            } catch (Exception e) {
                log.println("bench peers: native memory snapshot failed: " + e);
            }
        }, "nmt-snapshot");
        t.setDaemon(true);
        t.start();
    }

    private static int recorded(Path metrics) {
        try {
            return Files.exists(metrics) ? FedmilPeerRun.roundSeconds(metrics).length : 0;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** One line: RSS, NMT's committed total, its largest categories, and the resident memory NMT does not see. */
    static String summary(String who, Process p, Path save) throws Exception {
        long rssKib = vmRssKib(p.pid());
        Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                Long.toString(p.pid()), "VM.native_memory", "summary").redirectErrorStream(true).start();
        String text = new String(jcmd.getInputStream().readAllBytes());
        jcmd.waitFor();
        Files.writeString(save, "VmRSS: " + rssKib + " kB\n" + text);
        return who + ": " + describe(rssKib, text) + " (" + save + ")";
    }

    static String describe(long rssKib, String nmt) {
        Matcher total = TOTAL.matcher(nmt);
        if (!total.find()) {
            return "no NMT summary (" + nmt.strip().lines().findFirst().orElse("") + ")";
        }
        long committed = Long.parseLong(total.group(2));
        List<String> parts = new ArrayList<>();
        Matcher m = CATEGORY.matcher(nmt);
        while (m.find()) {
            long c = Long.parseLong(m.group(3));
            if (c >= 8 * 1024) {
                parts.add(String.format(java.util.Locale.ROOT, "%s %.0f", m.group(1), c / 1024.0));
            }
        }
        return String.format(java.util.Locale.ROOT, "RSS %.0f MiB; NMT committed %.0f MiB (%s); outside NMT "
                        + "(libtorch, JNI, malloc arenas, mapped jars) %.0f MiB", rssKib / 1024.0, committed / 1024.0,
                String.join(", ", parts), (rssKib - committed) / 1024.0);
    }

    private static long vmRssKib(long pid) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
            if (line.startsWith("VmRSS:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        return 0;
    }
}
