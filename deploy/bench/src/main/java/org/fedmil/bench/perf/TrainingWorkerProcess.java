package org.fedmil.bench.perf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One side of the training benchmark as a long-lived process that trains one repetition each time it is asked
 * ({@code run} on its stdin) and answers with one JSON line. Both sides stay warm and idle between their turns, so
 * the benchmark can alternate them repetition by repetition instead of pass by pass: a neighbour's burst of load on
 * the shared machine then lands on both halves of a pair rather than on one side's whole pass.
 */
final class TrainingWorkerProcess implements AutoCloseable {

    /** One repetition's bags per second by the wall clock and per CPU-second of the whole process. */
    record Rate(double wall, double cpu) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final String name;
    private final Process process;
    private final BufferedReader out;
    private final Writer in;
    private final List<String> log = new ArrayList<>();

    private TrainingWorkerProcess(String name, Process process) {
        this.name = name;
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
    }

    /**
     * Starts {@code command} with {@code threads} intra-op threads (OMP_NUM_THREADS and MKL_NUM_THREADS, which both
     * engines read at start) and waits until it has done its warm-up trainings and says it is ready.
     */
    static TrainingWorkerProcess start(String name, List<String> command, int threads) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        Map<String, String> env = pb.environment();
        env.put("OMP_NUM_THREADS", "" + threads);
        env.put("MKL_NUM_THREADS", "" + threads);
        TrainingWorkerProcess worker = new TrainingWorkerProcess(name, pb.start());
        JsonNode ready = worker.nextJson();
        if (!ready.path("ready").asBoolean()) {
            worker.close();
            throw new IOException(name + " did not say it was ready but: " + ready);
        }
        return worker;
    }

    /** Trains one repetition and returns its rates. */
    Rate run() throws IOException {
        in.write("run\n");
        in.flush();
        JsonNode node = nextJson();
        return new Rate(node.get("bags_per_second").get(0).asDouble(), node.get("bags_per_cpu_second").get(0).asDouble());
    }

    /** The next line that is a JSON object; the engines' log lines before it are kept for an error message. */
    private JsonNode nextJson() throws IOException {
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            if (line.startsWith("{")) {
                return JSON.readTree(line);
            }
            log.add(line);
        }
        throw new IOException(name + " ended without an answer; its output was:\n" + String.join("\n", log));
    }

    @Override
    public void close() throws IOException {
        try {
            in.close();
        } catch (IOException ignored) {
            // the worker may have died already; the exit below is what matters
        }
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
