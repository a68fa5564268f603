package org.fedmil.bench.mil;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The strategy comparison of docs/results.md from the records of {@code bench mil --strategies}: final held-out
 * AUC per strategy (and attack), mean ± sample std over splits, the mean AUC after every round, and the same
 * curves as an SVG line chart.
 */
public final class StrategyReport {

    private StrategyReport() {
    }

    /** Records of strategy arms grouped by "strategy" or "strategy under attack", in first-seen order. */
    static Map<String, List<RunRecord>> groups(List<RunRecord> records) {
        Map<String, List<RunRecord>> g = new LinkedHashMap<>();
        for (RunRecord r : records) {
            if (r.strategy() == null) {
                continue;
            }
            g.computeIfAbsent(label(r), k -> new ArrayList<>()).add(r);
        }
        return g;
    }

    static String label(RunRecord r) {
        return r.strategy() + (r.attack() == null ? "" : " (attacked)");
    }

    public static String table(List<RunRecord> records) {
        StringBuilder out = new StringBuilder();
        out.append("| strategy | attack | final held-out AUC, mean ± std | per split (seeds) | median honest delta norm | splits |\n");
        out.append("|---|---|---|---|---|---|\n");
        for (var e : groups(records).entrySet()) {
            List<RunRecord> rs = e.getValue();
            List<Double> auc = rs.stream().map(RunRecord::auc).toList();
            List<Double> norms = rs.stream().map(r -> r.medianDeltaNorm() == null ? Double.NaN : r.medianDeltaNorm())
                    .toList();
            StringBuilder per = new StringBuilder();
            for (RunRecord r : rs) {
                per.append(per.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.3f (%d)", r.auc(),
                        r.seed()));
            }
            RunRecord first = rs.get(0);
            out.append("| ").append(first.strategy()).append(" | ")
                    .append(first.attack() == null ? "none" : first.attack()).append(" | ")
                    .append(BenchReport.pm(auc)).append(" | ").append(per).append(" | ")
                    .append(String.format(Locale.ROOT, "%.2f", BenchReport.mean(norms))).append(" | ")
                    .append(rs.size()).append(" |\n");
        }
        return out.toString();
    }

    /** Mean held-out AUC over splits after every round; round 0 is the initial model. */
    public static String perRound(List<RunRecord> records) {
        Map<String, double[]> curves = curves(records);
        int rounds = curves.values().stream().mapToInt(c -> c.length).max().orElse(0);
        StringBuilder out = new StringBuilder("| strategy |");
        StringBuilder rule = new StringBuilder("|---|");
        for (int r = 0; r < rounds; r++) {
            out.append(' ').append(r).append(" |");
            rule.append("---|");
        }
        out.append('\n').append(rule).append('\n');
        for (var e : curves.entrySet()) {
            out.append("| ").append(e.getKey()).append(" |");
            for (double v : e.getValue()) {
                out.append(String.format(Locale.ROOT, " %.3f |", v));
            }
            out.append('\n');
        }
        return out.toString();
    }

    static Map<String, double[]> curves(List<RunRecord> records) {
        Map<String, double[]> out = new LinkedHashMap<>();
        for (var e : groups(records).entrySet()) {
            int n = e.getValue().stream().mapToInt(r -> r.aucPerRound() == null ? 0 : r.aucPerRound().size()).min()
                    .orElse(0);
            double[] mean = new double[n];
            for (int r = 0; r < n; r++) {
                final int round = r;
                mean[r] = e.getValue().stream().mapToDouble(x -> x.aucPerRound().get(round)).average().orElse(Double.NaN);
            }
            out.put(e.getKey(), mean);
        }
        return out;
    }

    private static final String[] COLOURS = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
            "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

    /** A line chart of the mean AUC per round, one line per strategy, as a standalone SVG. */
    public static String svg(List<RunRecord> records, String title) {
        Map<String, double[]> curves = curves(records);
        int rounds = curves.values().stream().mapToInt(c -> c.length).max().orElse(1);
        double lo = curves.values().stream().flatMapToDouble(java.util.Arrays::stream).min().orElse(0.4);
        lo = Math.max(0, Math.floor(lo * 10) / 10);
        double hi = 1.0;
        int w = 860, h = 420, left = 60, right = 330, top = 40, bottom = 50;
        int pw = w - left - right, ph = h - top - bottom;
        StringBuilder s = new StringBuilder();
        s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
                + "font-family=\"sans-serif\" font-size=\"12\">%n", w, h));
        s.append(String.format(Locale.ROOT, "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>%n", w, h));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"20\" font-size=\"14\">%s</text>%n", left, escape(title)));
        for (double y = lo; y <= hi + 1e-9; y += 0.1) {
            double py = top + ph * (hi - y) / (hi - lo);
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                    + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%.1f</text>%n", left, py, left + pw, py, left - 6,
                    py + 4, y));
        }
        for (int r = 0; r < rounds; r++) {
            double px = left + pw * (double) r / Math.max(1, rounds - 1);
            s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%d</text>%n", px,
                    top + ph + 16, r));
        }
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">round</text>%n",
                left + pw / 2, h - 12));
        s.append(String.format(Locale.ROOT, "<text x=\"14\" y=\"%d\" transform=\"rotate(-90 14 %d)\" "
                + "text-anchor=\"middle\">held-out AUC (mean over splits)</text>%n", top + ph / 2, top + ph / 2));
        int i = 0;
        for (var e : curves.entrySet()) {
            String c = COLOURS[i % COLOURS.length];
            StringBuilder pts = new StringBuilder();
            double[] v = e.getValue();
            for (int r = 0; r < v.length; r++) {
                double px = left + pw * (double) r / Math.max(1, rounds - 1);
                double py = top + ph * (hi - Math.max(lo, v[r])) / (hi - lo);
                pts.append(String.format(Locale.ROOT, "%.1f,%.1f ", px, py));
            }
            String dash = e.getKey().endsWith("(attacked)") ? " stroke-dasharray=\"6 3\"" : "";
            s.append(String.format(Locale.ROOT, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s "
                    + "points=\"%s\"/>%n", c, dash, pts.toString().trim()));
            int ly = top + 10 + 18 * i;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" "
                    + "stroke-width=\"2\"" + dash + "/><text x=\"%d\" y=\"%d\">%s</text>%n", left + pw + 12, ly, left + pw + 32, ly,
                    c, left + pw + 38, ly + 4, escape(e.getKey())));
            i++;
        }
        s.append("</svg>\n");
        return s.toString();
    }

    private static String escape(String t) {
        return t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
