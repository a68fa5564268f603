package org.fedmil.bench.perf;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.data.slide.SlideCutter;
import org.fedmil.data.slide.SlideTiling;
import org.fedmil.data.tiles.BagPlan;

/**
 * The process {@link SlideTilingBenchmark} watches: cuts one slide into tissue tiles as {@code fedmil data slides}
 * does, in a JVM of its own with a small fixed heap, then prints the wall time, the tiles written, the process's
 * peak resident set (VmHWM: heap, OpenSlide's native caches and buffers, everything) and the heap pools' peak.
 *
 * <p>Args: slide out_dir tile_size target_mpp.
 */
public final class SlideTilingWorker {

    private SlideTilingWorker() {
    }

    public static void main(String[] args) throws Exception {
        Path slide = Path.of(args[0]);
        Path out = Path.of(args[1]);
        SlideTiling tiling = SlideTiling.of(Integer.parseInt(args[2]), Double.parseDouble(args[3]));
        long t0 = System.nanoTime();
        List<SlideCutter.SlideRow> rows = new SlideCutter(tiling).run(List.of(new BagPlan("slide", 1,
                List.of(new BagPlan.Image(slide, slide.getFileName().toString(), "")))), out);
        double seconds = (System.nanoTime() - t0) / 1e9;
        long peakHeap = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peakHeap += pool.getPeakUsage().getUsed();
            }
        }
        System.out.println("{\"tiles\": " + rows.get(0).plan().tiles().size() + ", \"grid\": "
                + rows.get(0).plan().gridTiles() + ", \"level\": " + rows.get(0).plan().level() + ", \"seconds\": "
                + seconds + ", \"vmhwm_kib\": " + hwmKib() + ", \"peak_heap_bytes\": " + peakHeap + "}");
    }

    static long hwmKib() throws java.io.IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new java.io.IOException("no VmHWM in /proc/self/status");
    }
}
