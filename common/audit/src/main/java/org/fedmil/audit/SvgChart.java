package org.fedmil.audit;

import java.util.List;
import java.util.Locale;

/**
 * A line chart drawn as inline SVG, so the report is one file that opens offline: axes with a few ticks, one
 * polyline with dots per series, a legend. No scripts, no fonts, no external references.
 */
final class SvgChart {

    /** One line: its legend name and its points (x ascending). */
    record Series(String name, List<ReportModel.Point> points) {
    }

    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
        "#e377c2", "#17becf"};
    private static final int WIDTH = 640;
    private static final int HEIGHT = 300;
    private static final int LEFT = 60;
    private static final int RIGHT = 150;
    private static final int TOP = 20;
    private static final int BOTTOM = 40;

    private SvgChart() {
    }

    /**
     * @param yMin the y axis' lower end, or null to fit the data (an AUC axis reads best from 0 to 1; ε from 0)
     */
    static String lines(String title, String xLabel, String yLabel, List<Series> series, Double yMin, Double yMax) {
        double x0 = Double.POSITIVE_INFINITY;
        double x1 = Double.NEGATIVE_INFINITY;
        double y0 = Double.POSITIVE_INFINITY;
        double y1 = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (ReportModel.Point p : s.points()) {
                x0 = Math.min(x0, p.x());
                x1 = Math.max(x1, p.x());
                y0 = Math.min(y0, p.y());
                y1 = Math.max(y1, p.y());
            }
        }
        if (yMin != null) {
            y0 = Math.min(y0, yMin);
        }
        if (yMax != null) {
            y1 = Math.max(y1, yMax);
        }
        if (x1 <= x0) {
            x0 -= 1;
            x1 += 1;
        }
        if (y1 <= y0) {
            y0 -= 0.5;
            y1 += 0.5;
        }
        StringBuilder b = new StringBuilder();
        b.append("<svg class=\"chart\" width=\"").append(WIDTH).append("\" height=\"").append(HEIGHT)
                .append("\" viewBox=\"0 0 ").append(WIDTH).append(' ').append(HEIGHT)
                .append("\" role=\"img\" aria-label=\"").append(Html.esc(title)).append("\">\n");
        b.append("<title>").append(Html.esc(title)).append("</title>\n");
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        b.append("<rect x=\"").append(LEFT).append("\" y=\"").append(TOP).append("\" width=\"").append(plotW)
                .append("\" height=\"").append(plotH).append("\" fill=\"#fff\" stroke=\"#999\"/>\n");
        for (int i = 0; i <= 4; i++) {
            double v = y0 + (y1 - y0) * i / 4;
            double y = TOP + plotH - plotH * i / 4.0;
            b.append("<line x1=\"").append(LEFT).append("\" x2=\"").append(LEFT + plotW).append("\" y1=\"")
                    .append(fmt(y)).append("\" y2=\"").append(fmt(y)).append("\" stroke=\"#eee\"/>")
                    .append("<text x=\"").append(LEFT - 6).append("\" y=\"").append(fmt(y + 4))
                    .append("\" text-anchor=\"end\">").append(fmt(v)).append("</text>\n");
        }
        // whole-number x ticks (rounds), at most about ten
        long step = Math.max(1, (long) Math.ceil((x1 - x0) / 10));
        for (long x = (long) Math.ceil(x0); x <= x1; x += step) {
            double px = LEFT + plotW * (x - x0) / (x1 - x0);
            b.append("<text x=\"").append(fmt(px)).append("\" y=\"").append(TOP + plotH + 16)
                    .append("\" text-anchor=\"middle\">").append(x).append("</text>\n");
        }
        b.append("<text x=\"").append(LEFT + plotW / 2).append("\" y=\"").append(HEIGHT - 6)
                .append("\" text-anchor=\"middle\">").append(Html.esc(xLabel)).append("</text>\n");
        b.append("<text x=\"14\" y=\"").append(TOP + plotH / 2).append("\" text-anchor=\"middle\" transform=\"rotate(-90 14 ")
                .append(TOP + plotH / 2).append(")\">").append(Html.esc(yLabel)).append("</text>\n");
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String colour = COLOURS[i % COLOURS.length];
            StringBuilder pts = new StringBuilder();
            StringBuilder dots = new StringBuilder();
            for (ReportModel.Point p : s.points()) {
                double px = LEFT + plotW * (p.x() - x0) / (x1 - x0);
                double py = TOP + plotH - plotH * (p.y() - y0) / (y1 - y0);
                pts.append(pts.isEmpty() ? "" : " ").append(fmt(px)).append(',').append(fmt(py));
                dots.append("<circle cx=\"").append(fmt(px)).append("\" cy=\"").append(fmt(py))
                        .append("\" r=\"3\" fill=\"").append(colour).append("\"><title>").append(Html.esc(s.name()))
                        .append(": ").append(fmt(p.x())).append(", ").append(fmt(p.y())).append("</title></circle>");
            }
            b.append("<polyline class=\"series\" fill=\"none\" stroke=\"").append(colour)
                    .append("\" stroke-width=\"2\" points=\"").append(pts).append("\"/>").append(dots).append('\n');
            int ly = TOP + 14 + 18 * i;
            b.append("<rect x=\"").append(LEFT + plotW + 12).append("\" y=\"").append(ly - 9)
                    .append("\" width=\"12\" height=\"4\" fill=\"").append(colour).append("\"/><text x=\"")
                    .append(LEFT + plotW + 30).append("\" y=\"").append(ly).append("\">").append(Html.esc(s.name()))
                    .append("</text>\n");
        }
        b.append("</svg>\n");
        return b.toString();
    }

    static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e12) {
            return Long.toString((long) v);
        }
        // three decimals are finer than a pixel or a printed AUC; trailing zeros only add noise
        return String.format(Locale.ROOT, "%.3f", v).replaceAll("\\.?0+$", "");
    }
}
