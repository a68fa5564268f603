package org.fedmil.bench.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.fedmil.data.synth.SyntheticMilData;

/**
 * The native-memory leak check: 200 site rounds (local trainings) in one process must hold native memory steady. The
 * figure is the RSS growth from round 20 (after the allocator and the JIT have settled) to the last round, against
 * the RSS at round 20; the note carries the RSS at rounds 10, 50, 100 and 200, the least-squares slope over
 * rounds 20..end, and the count of arrays and managers DJL tracks, which must not grow at all.
 */
public final class NativeMemoryBenchmark implements PerfBenchmark {

    /** The growth allowed from round 20 to 200, as a fraction of the RSS at round 20: 5 %. */
    private static final double TARGET = 0.05;

    /** One sample per round. */
    record Sample(int round, long rssKib, long resources) {
    }

    @Override
    public String id() {
        return "native-memory";
    }

    @Override
    public List<Figure> run(PerfContext context) throws Exception {
        Path data = context.work().resolve("native-memory-data");
        SyntheticMilData.generate(SyntheticMilData.Config.defaults()).writeTo(data);
        int rounds = context.pick(200, 12);
        int from = context.pick(20, 4);
        List<Sample> samples = runWorker(data.resolve("site-1"), rounds);
        Sample base = at(samples, from);
        Sample last = samples.get(samples.size() - 1);
        double slope = slopeKibPerRound(samples, from);
        StringBuilder rss = new StringBuilder();
        for (int r : new int[] {10, 50, 100, 200}) {
            if (r <= rounds) {
                rss.append(String.format(Locale.ROOT, "r%d %.1f MiB, ", r, at(samples, r).rssKib() / 1024.0));
            }
        }
        context.out().printf(Locale.ROOT, "RSS %sslope %.2f KiB/round, DJL resources r%d %d → r%d %d%n", rss,
                slope, from, base.resources(), last.round(), last.resources());
        return List.of(new Figure("native_memory.rss_growth", "RSS growth, site rounds " + from + "→" + rounds,
                (last.rssKib() - base.rssKib()) / 1024.0, "MiB", base.rssKib() / 1024.0,
                "RSS at round " + from, TARGET, false,
                rounds + " rounds of 1 local epoch on synthetic site-1 (160 bags), fixed pre-touched heap; "
                        + rss + String.format(Locale.ROOT, "slope %.2f KiB/round over rounds %d..%d; ", slope,
                        from, rounds) + "DJL arrays+managers " + base.resources() + " at r" + from + ", "
                        + last.resources() + " at r" + rounds));
    }

    private static Sample at(List<Sample> samples, int round) {
        return samples.get(round - 1);
    }

    /** Least-squares slope of RSS over rounds {@code from}..end, KiB per round. */
    static double slopeKibPerRound(List<Sample> samples, int from) {
        double n = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        for (Sample s : samples) {
            if (s.round() >= from) {
                n++;
                sx += s.round();
                sy += s.rssKib();
                sxx += (double) s.round() * s.round();
                sxy += (double) s.round() * s.rssKib();
            }
        }
        return (n * sxy - sx * sy) / (n * sxx - sx * sx);
    }

    private static List<Sample> runWorker(Path site, int rounds) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch",
                "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                NativeMemoryWorker.class.getName(), site.toString(), "" + rounds).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        Process p = pb.start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IOException("the native-memory worker failed:\n" + output);
        }
        ObjectMapper json = new ObjectMapper();
        List<Sample> samples = new ArrayList<>();
        for (String line : output.lines().filter(l -> l.startsWith("{\"round\"")).toList()) {
            JsonNode n = json.readTree(line);
            samples.add(new Sample(n.get("round").asInt(), n.get("rss_kib").asLong(), n.get("resources").asLong()));
        }
        if (samples.size() != rounds) {
            throw new IOException("expected " + rounds + " samples, got " + samples.size() + ":\n" + output);
        }
        Files.writeString(site.getParent().resolve("rss.csv"), toCsv(samples));
        return samples;
    }

    private static String toCsv(List<Sample> samples) {
        StringBuilder b = new StringBuilder("round,rss_kib,djl_resources\n");
        samples.forEach(s -> b.append(s.round()).append(',').append(s.rssKib()).append(',').append(s.resources())
                .append('\n'));
        return b.toString();
    }
}
