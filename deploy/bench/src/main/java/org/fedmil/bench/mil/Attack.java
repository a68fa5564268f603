package org.fedmil.bench.mil;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;

/**
 * A hostile (or broken) site of the benchmark: it trains honestly, then sends a forged delta instead.
 * {@code sign_flip_x<F>:site=N} sends −F·Δ (Δ its honest delta); {@code gaussian:site=N:std=S} sends pure noise,
 * N(0, S²) independently for every weight (default S = 0.05). Sites are numbered from 1 as the split's site-N
 * folders are.
 *
 * @param kind  sign_flip or gaussian
 * @param site  the attacking site, 1-based
 * @param scale the flip factor F, or the noise standard deviation S
 */
public record Attack(String kind, int site, double scale) {

    public static final double DEFAULT_GAUSSIAN_STD = 0.05;

    public TensorSet forge(TensorSet honest, Random rng) {
        List<NamedTensor> out = new ArrayList<>();
        for (NamedTensor t : honest.tensors()) {
            float[] v = t.values();
            float[] f = new float[v.length];
            for (int j = 0; j < v.length; j++) {
                f[j] = kind.equals("sign_flip") ? (float) (-scale * v[j]) : (float) (scale * rng.nextGaussian());
            }
            out.add(new NamedTensor(t.name(), t.shape(), f));
        }
        return new TensorSet(out);
    }

    @Override
    public String toString() {
        return kind.equals("sign_flip") ? String.format(Locale.ROOT, "sign_flip_x%s:site=%d", trim(scale), site)
                : String.format(Locale.ROOT, "gaussian:site=%d:std=%s", site, trim(scale));
    }

    private static String trim(double d) {
        return d == Math.rint(d) ? String.valueOf((long) d) : String.valueOf(d);
    }

    /** Parses {@code sign_flip_x10:site=1} or {@code gaussian:site=2:std=0.05}. */
    public static Attack parse(String text) {
        String[] parts = text.trim().split(":");
        String kind;
        double scale;
        if (parts[0].startsWith("sign_flip_x")) {
            kind = "sign_flip";
            scale = Double.parseDouble(parts[0].substring("sign_flip_x".length()));
        } else if (parts[0].equals("gaussian")) {
            kind = "gaussian";
            scale = DEFAULT_GAUSSIAN_STD;
        } else {
            throw new IllegalArgumentException("attack '" + text + "': expected sign_flip_x<factor> or gaussian");
        }
        int site = -1;
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length == 2 && kv[0].equals("site")) {
                site = Integer.parseInt(kv[1]);
            } else if (kv.length == 2 && kv[0].equals("std") && kind.equals("gaussian")) {
                scale = Double.parseDouble(kv[1]);
            } else {
                throw new IllegalArgumentException("attack '" + text + "': unexpected '" + parts[i] + "'");
            }
        }
        if (site < 1) {
            throw new IllegalArgumentException("attack '" + text + "': site=N (1-based) is required");
        }
        return new Attack(kind, site, scale);
    }
}
