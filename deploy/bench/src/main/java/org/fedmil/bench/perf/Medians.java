package org.fedmil.bench.perf;

import java.util.Arrays;

/** The median of repeated measurements, after warm-up runs whose results are thrown away. */
public final class Medians {

    private Medians() {
    }

    /** A measurement that returns a number (seconds, bytes per second, …). */
    @FunctionalInterface
    public interface Measurement {
        double measure() throws Exception;
    }

    public static double of(int warmups, int repetitions, Measurement m) throws Exception {
        for (int i = 0; i < warmups; i++) {
            m.measure();
        }
        double[] values = new double[repetitions];
        for (int i = 0; i < repetitions; i++) {
            values[i] = m.measure();
        }
        return median(values);
    }

    public static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
