package org.fedmil.coordinator.dashboard;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedmil.coordinator.admin.SiteState;

/**
 * Renders the dashboard's HTML from a {@link DashboardState.Snapshot}, server-side: tables and inline SVG plots.
 * Every string is HTML-escaped ({@link #escape}), since site ids, devices, software versions and refusal reasons come
 * from sites. The page loads nothing from elsewhere: its script and style are served by the dashboard itself.
 */
public final class DashboardPage {

    private DashboardPage() {
    }

    /** Escapes text for HTML element content and quoted attribute values. */
    public static String escape(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> b.append("&amp;");
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** The whole page: the live part is fetched again every 2 s by /dashboard.js. */
    public static String page(DashboardState.Snapshot s) {
        return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                + "<title>FedMIL · " + escape(s.federationId()) + "</title>\n"
                + "<link rel=\"stylesheet\" href=\"dashboard.css\">\n"
                + "<script src=\"dashboard.js\" defer></script>\n"
                + "<noscript><meta http-equiv=\"refresh\" content=\"5\"></noscript>\n"
                + "</head>\n<body>\n<main id=\"live\">\n" + fragment(s) + "</main>\n</body>\n</html>\n";
    }

    /** The live part of the page. */
    public static String fragment(DashboardState.Snapshot s) {
        StringBuilder b = new StringBuilder(8192);
        b.append("<header><h1>FedMIL federation <span class=\"fid\">").append(escape(s.federationId()))
                .append("</span></h1>\n<p class=\"status\">");
        if (s.paused()) {
            // the badge says PAUSED: the run's phase alone (TRAINING, WAITING_FOR_SITES) hides that no round goes on
            b.append("<span id=\"phase\" class=\"phase paused\" data-phase=\"")
                    .append(escape(s.phase())).append("\">PAUSED</span> <span class=\"paused-by\">")
                    .append(s.pausedBy().isEmpty() ? "by the operator" : "by " + escape(s.pausedBy()))
                    .append(s.pausedAt().isEmpty() ? "" : " at " + escape(time(s.pausedAt())))
                    .append("; phase ").append(escape(s.phase())).append("</span>");
        } else {
            b.append("<span id=\"phase\" class=\"phase ").append(escape(s.phase().toLowerCase(Locale.ROOT)))
                    .append("\" data-phase=\"").append(escape(s.phase())).append("\">").append(escape(s.phase()))
                    .append("</span>");
        }
        b.append(" · round ").append(s.currentRound()).append(" of ").append(s.rounds())
                .append(" · ").append(s.joinedSites()).append(" sites joined (").append(s.minSites())
                .append(" needed)");
        if (s.finished() != null) {
            b.append(" · finished: ").append(escape(s.finished()));
        }
        b.append(" · <span class=\"time\">updated ").append(escape(s.now())).append("</span></p>\n");
        if (!s.warning().isEmpty()) {
            b.append("<p id=\"warning\" class=\"note warning\">").append(escape(s.warning())).append("</p>\n");
        }
        if (s.readOnly()) {
            b.append("<p class=\"note readonly\">Read from the state folder (fedmil dashboard --state): a record of "
                    + "the run, not a live coordinator; nothing here can change it.</p>\n");
        }
        b.append("</header>\n");

        Map<Integer, double[]> series = DashboardState.heldOutSeries(s);
        List<double[]> auc = new ArrayList<>();
        List<double[]> loss = new ArrayList<>();
        List<double[]> trainLoss = new ArrayList<>();
        series.forEach((round, v) -> {
            auc.add(new double[] {round, v[0]});
            loss.add(new double[] {round, v[1]});
            trainLoss.add(new double[] {round, v[2]});
        });
        b.append("<section class=\"plots\">\n");
        b.append(plot("plot-auc", "Held-out AUC per round", List.of(new Line("auc", "held-out AUC", auc)), 0, 1));
        double maxLoss = 0;
        for (double[] p : loss) {
            maxLoss = Double.isFinite(p[1]) ? Math.max(maxLoss, p[1]) : maxLoss;
        }
        for (double[] p : trainLoss) {
            maxLoss = Double.isFinite(p[1]) ? Math.max(maxLoss, p[1]) : maxLoss;
        }
        b.append(plot("plot-loss", "Loss per round", List.of(new Line("loss", "held-out loss", loss),
                new Line("train", "mean training loss at the sites", trainLoss)), 0, maxLoss <= 0 ? 1 : maxLoss * 1.1));
        b.append("</section>\n");

        b.append("<section><h2>Rounds</h2>\n<table id=\"rounds\"><thead><tr><th>round</th><th>attempt</th>"
                + "<th>status</th><th>participants</th><th>updates</th><th>started</th><th>seconds</th>"
                + "<th>bags</th><th>train loss</th><th>AUC</th><th>loss</th><th>accuracy</th></tr></thead><tbody>\n");
        List<DashboardState.RoundRow> rows = new ArrayList<>(s.timeline());
        java.util.Collections.reverse(rows);
        for (DashboardState.RoundRow r : rows) {
            b.append("<tr class=\"round ").append(escape(r.status().replaceAll("[^a-z]+", "-"))).append("\"><td>")
                    .append(r.round()).append("</td><td>").append(r.attempt()).append("</td><td>")
                    .append(escape(r.status())).append("</td><td>").append(r.participants()).append("</td><td>")
                    .append(r.updates()).append("</td><td>").append(escape(time(r.started()))).append("</td><td>")
                    .append(num(r.seconds(), 1)).append("</td><td>").append(r.trainingBags()).append("</td><td>")
                    .append(num(r.trainLoss(), 4)).append("</td><td>").append(num(r.auc(), 4)).append("</td><td>")
                    .append(num(r.loss(), 4)).append("</td><td>").append(num(r.accuracy(), 4)).append("</td></tr>\n");
        }
        b.append("</tbody></table></section>\n");

        b.append("<section><h2>Sites</h2>\n<table id=\"sites\"><thead><tr><th>site</th><th>state</th>"
                + "<th>joined</th><th>last seen</th><th>bags</th><th>device</th><th>software</th><th>updates</th>"
                + "<th>last update</th><th>last train loss</th><th>refused</th></tr></thead><tbody>\n");
        for (DashboardState.SiteRow r : s.sites()) {
            b.append("<tr class=\"site ").append(escape(r.state())).append("\" data-site=\"").append(escape(r.site()))
                    .append("\"><td>").append(escape(r.site())).append("</td><td class=\"state\">")
                    .append(escape(stateText(r))).append("</td><td>").append(escape(time(r.joined()))).append("</td><td class=\"seen\">")
                    .append(escape(time(r.lastSeen()))).append("</td><td>").append(r.bags())
                    .append("</td><td>").append(escape(r.device())).append("</td><td>")
                    .append(escape(r.softwareVersion())).append("</td><td class=\"updates\">")
                    .append(r.updatesAccepted()).append("</td><td>").append(r.lastUpdate() == null ? "–"
                            : "round " + r.lastUpdateRound() + " at " + escape(time(r.lastUpdate())))
                    .append("</td><td>").append(num(r.lastTrainLoss(), 4)).append("</td><td>").append(r.refusals())
                    .append("</td></tr>\n");
        }
        b.append("</tbody></table></section>\n");

        b.append("<section><h2>Refused updates (").append(s.refusalsTotal()).append(")</h2>\n"
                + "<table id=\"refusals\"><thead><tr><th>time</th><th>site</th><th>round</th><th>kind</th>"
                + "<th>reason</th></tr></thead><tbody>\n");
        for (DashboardState.Refusal r : s.refusals()) {
            b.append("<tr class=\"refusal\"><td>").append(escape(time(r.time()))).append("</td><td>")
                    .append(escape(r.site())).append("</td><td>").append(r.round()).append("</td><td>")
                    .append(escape(r.kind())).append("</td><td class=\"reason\">").append(escape(r.reason()))
                    .append("</td></tr>\n");
        }
        b.append("</tbody></table>");
        if (s.refusalsTotal() > s.refusals().size()) {
            b.append("<p class=\"note\">The newest ").append(s.refusals().size())
                    .append(" are shown; all are in the state folder's refusals.json.</p>");
        }
        b.append("</section>\n");
        return b.toString();
    }

    /** The state word, with why a site left or was revoked. */
    static String stateText(DashboardState.SiteRow r) {
        String reason = r.leftReason();
        if (reason == null || reason.isEmpty() || SiteState.isJoined(r.state())) {
            return r.state();
        }
        return r.state().equals(SiteState.REVOKED) && reason.startsWith("revoked ") ? reason
                : r.state() + ": " + reason;
    }

    private record Line(String cssClass, String label, List<double[]> points) {
    }

    private static final int W = 560;
    private static final int H = 240;
    private static final int LEFT = 52;
    private static final int RIGHT = 16;
    private static final int TOP = 28;
    private static final int BOTTOM = 34;

    /** An inline SVG line plot of values by round: one polyline per line, a circle with a tooltip per point. */
    static String plot(String id, String title, List<Line> lines, double yMin, double yMax) {
        int xMin = Integer.MAX_VALUE;
        int xMax = Integer.MIN_VALUE;
        for (Line l : lines) {
            for (double[] p : l.points()) {
                xMin = Math.min(xMin, (int) p[0]);
                xMax = Math.max(xMax, (int) p[0]);
            }
        }
        if (xMin > xMax) {
            xMin = 0;
            xMax = 1;
        } else if (xMin == xMax) {
            xMax = xMin + 1;
        }
        StringBuilder b = new StringBuilder(2048);
        b.append("<figure><svg id=\"").append(id).append("\" class=\"plot\" ")
                .append("viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" width=\"").append(W)
                .append("\" height=\"").append(H).append("\" role=\"img\" aria-label=\"").append(escape(title))
                .append("\">\n<text class=\"title\" x=\"").append(LEFT).append("\" y=\"18\">").append(escape(title))
                .append("</text>\n");
        // axes, y grid with 5 ticks, x ticks per round (at most ~12 labels)
        for (int i = 0; i <= 4; i++) {
            double v = yMin + (yMax - yMin) * i / 4;
            double y = y(v, yMin, yMax);
            b.append("<line class=\"grid\" x1=\"").append(LEFT).append("\" x2=\"").append(W - RIGHT)
                    .append("\" y1=\"").append(fmt(y)).append("\" y2=\"").append(fmt(y)).append("\"/>")
                    .append("<text class=\"tick\" x=\"").append(LEFT - 6).append("\" y=\"").append(fmt(y + 4))
                    .append("\" text-anchor=\"end\">").append(num(v, 2)).append("</text>\n");
        }
        int step = Math.max(1, (xMax - xMin + 11) / 12);
        for (int r = xMin; r <= xMax; r += step) {
            double x = x(r, xMin, xMax);
            b.append("<text class=\"tick\" x=\"").append(fmt(x)).append("\" y=\"").append(H - BOTTOM + 16)
                    .append("\" text-anchor=\"middle\">").append(r).append("</text>");
        }
        b.append("\n<text class=\"axis\" x=\"").append((LEFT + W - RIGHT) / 2).append("\" y=\"").append(H - 4)
                .append("\" text-anchor=\"middle\">round</text>\n");
        int legendX = W - RIGHT;
        for (int li = lines.size() - 1; li >= 0; li--) {
            Line l = lines.get(li);
            List<String> pts = new ArrayList<>();
            StringBuilder dots = new StringBuilder();
            for (double[] p : l.points()) {
                if (!Double.isFinite(p[1])) {
                    continue;
                }
                String px = fmt(x(p[0], xMin, xMax));
                String py = fmt(y(p[1], yMin, yMax));
                pts.add(px + "," + py);
                dots.append("<circle class=\"").append(l.cssClass()).append("\" cx=\"").append(px).append("\" cy=\"")
                        .append(py).append("\" r=\"3\"><title>round ").append((int) p[0]).append(": ")
                        .append(num(p[1], 4)).append("</title></circle>");
            }
            b.append("<polyline class=\"").append(l.cssClass()).append("\" fill=\"none\" points=\"")
                    .append(String.join(" ", pts)).append("\"/>\n").append(dots).append('\n');
            if (lines.size() > 1) {
                legendX -= 8 + 7 * l.label().length();
                b.append("<text class=\"legend ").append(l.cssClass()).append("\" x=\"").append(legendX)
                        .append("\" y=\"18\">— ").append(escape(l.label())).append("</text>\n");
            }
        }
        b.append("<line class=\"axisline\" x1=\"").append(LEFT).append("\" x2=\"").append(LEFT).append("\" y1=\"")
                .append(TOP).append("\" y2=\"").append(H - BOTTOM).append("\"/><line class=\"axisline\" x1=\"")
                .append(LEFT).append("\" x2=\"").append(W - RIGHT).append("\" y1=\"").append(H - BOTTOM)
                .append("\" y2=\"").append(H - BOTTOM).append("\"/>\n</svg></figure>\n");
        return b.toString();
    }

    private static double x(double round, int xMin, int xMax) {
        return LEFT + (W - LEFT - RIGHT) * (round - xMin) / (xMax - xMin);
    }

    private static double y(double v, double yMin, double yMax) {
        double c = Math.max(yMin, Math.min(yMax, v));
        return H - BOTTOM - (H - TOP - BOTTOM) * (c - yMin) / (yMax - yMin);
    }

    private static String fmt(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String num(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : "–";
    }

    /** 2026-01-02T10:11:12.345Z → 10:11:12 (UTC); the page says the full instant in its header. */
    private static String time(String instant) {
        if (instant == null || instant.isEmpty()) {
            return "–";
        }
        int t = instant.indexOf('T');
        return t < 0 || instant.length() < t + 9 ? instant : instant.substring(t + 1, t + 9);
    }
}
