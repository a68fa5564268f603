package org.fedmil.bench.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.fedmil.data.slide.PyramidalTiff;

/**
 * Whole-slide tiling in bounded memory: the same tiling (224-pixel tiles at 0.5 µm/px from a 0.25 µm/px scan, tissue
 * covering the same share of the slide) of a 50,000 × 50,000 slide against a 5,000 × 5,000 one, each in a fresh JVM
 * whose heap is fixed at 128 MiB and touched at start: that the big slide fits at all bounds the heap, and the resident
 * set can then only grow with native memory (OpenSlide's caches and buffers). The figures are the peak resident set (whole process) and the tiling rate, the big slide's
 * over the small one's; memory that grew with the slide would show as a ratio far above 1 (or an OutOfMemoryError).
 */
public final class SlideTilingBenchmark implements PerfBenchmark {

    /** The peak resident set may grow by at most half from a 5,000² slide to a 50,000² one (100× the pixels). */
    private static final double TARGET = 1.5;

    /** Fixed and touched at start, so the resident set cannot grow with the heap and what grows is native. */
    private static final String HEAP = "128m";

    record Run(int tiles, int grid, int level, double seconds, long hwmKib, long peakHeap) {
    }

    @Override
    public String id() {
        return "slides";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        long big = context.pick(50_000L, 12_000L);
        long small = context.pick(5_000L, 3_000L);
        Path dir = Files.createDirectories(context.work().resolve("slides"));
        Path bigSlide = slide(dir, big);
        Path smallSlide = slide(dir, small);
        Run base = tile(smallSlide, dir.resolve("out-small"));
        Run large = tile(bigSlide, dir.resolve("out-big"));
        String how = String.format(Locale.ROOT, "fedmil data slides' SlideCutter in a fresh JVM (heap fixed at "
                + HEAP + ", pre-touched), 224-px tiles at 0.5 µm/px from level %d of a generic pyramidal TIFF at 0.25 µm/px (7 levels, "
                + "Deflate), tissue ellipses covering the same share; %d×%d slide: %d of %d grid tiles written in "
                + "%.1f s, peak heap %.0f MiB; %d×%d: %d of %d in %.1f s, peak heap %.0f MiB", large.level(), big, big,
                large.tiles(), large.grid(), large.seconds(), large.peakHeap() / 1048576.0, small, small, base.tiles(),
                base.grid(), base.seconds(), base.peakHeap() / 1048576.0);
        context.out().println(how);
        return List.of(
                new Figure("slides.peak_rss", "peak resident set tiling a " + big + "² slide", large.hwmKib() / 1024.0,
                        "MiB", base.hwmKib() / 1024.0, "the same tiling of a " + small + "² slide", TARGET, false, how),
                new Figure("slides.rate", "tissue tiles written per second, " + big + "² slide",
                        large.tiles() / large.seconds(), "tiles/s", base.tiles() / base.seconds(),
                        "the same on the " + small + "² slide", Double.NaN, true, how));
    }

    /** A slide of side {@code side} with four tissue ellipses over about a third of it, written once and reused. */
    private static Path slide(Path dir, long side) throws IOException {
        Path f = dir.resolve("slide-" + side + ".tif");
        if (Files.exists(f)) {
            return f;
        }
        long q = side / 4;
        long[][] blobs = {{q, q}, {3 * q, q}, {q, 3 * q}, {3 * q, 3 * q}};
        double r = side * 0.16;
        PyramidalTiff.write(f, side, side, 0.25, 512, 7, (x, y) -> {
            for (long[] b : blobs) {
                double dx = (x - b[0]) / r;
                double dy = (y - b[1]) / r;
                if (dx * dx + dy * dy <= 1) {
                    return (x / 6 + y / 6) % 5 == 0 ? 0x643C96 : 0xE496C8;
                }
            }
            return 0xF4F3F5;
        });
        return f;
    }

    private static Run tile(Path slide, Path out) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xms" + HEAP, "-Xmx" + HEAP, "-XX:+AlwaysPreTouch", "-cp",
                System.getProperty("java.class.path"), SlideTilingWorker.class.getName(), slide.toString(), out.toString(), "224", "0.5")
                .redirectErrorStream(true);
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("the slide-tiling worker failed on " + slide + ":\n" + output);
        }
        String line = output.lines().filter(l -> l.startsWith("{\"tiles\"")).findFirst()
                .orElseThrow(() -> new IOException("no result line from the worker:\n" + output));
        JsonNode n = new ObjectMapper().readTree(line);
        return new Run(n.get("tiles").asInt(), n.get("grid").asInt(), n.get("level").asInt(),
                n.get("seconds").asDouble(), n.get("vmhwm_kib").asLong(), n.get("peak_heap_bytes").asLong());
    }
}
