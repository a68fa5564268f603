package org.fedmil.audit;

import static org.fedmil.audit.Html.esc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Renders a {@link ReportModel} as one self-contained HTML page: inline CSS, inline SVG, no scripts and no
 * external references, so it can be mailed to an ethics board and opened offline. Every string from the log goes
 * through {@link Html#esc}: the log's site names and reasons come from parties the reader need not trust.
 */
public final class ReportPage {

    private static final String CSS = """
            body{font-family:sans-serif;margin:2em;color:#222;max-width:72em}
            h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
            table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.25em .6em;\
            text-align:left;vertical-align:top}th{background:#f3f3f3}
            .mono{font-family:monospace}.num{text-align:right}
            .banner{padding:.8em 1em;margin:1em 0;font-weight:bold;border-radius:4px}
            .ok{background:#e6f4ea;border:1px solid #2e7d32}.bad{background:#fde7e7;border:2px solid #c62828;\
            color:#b71c1c}
            .note{color:#555;font-style:italic}
            svg.chart text{font-size:11px;fill:#333}
            """;

    private ReportPage() {
    }

    public static String render(ReportModel m) {
        ReportModel.Federation f = m.federation();
        StringBuilder b = new StringBuilder(16 * 1024);
        b.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<title>FedMIL audit report: ").append(esc(f.id())).append("</title>\n<style>\n")
                .append(CSS).append("</style>\n</head>\n<body>\n");
        b.append("<h1>FedMIL audit report: federation <span class=\"mono\">").append(esc(f.id()))
                .append("</span></h1>\n");
        if (f.verified()) {
            b.append("<div class=\"banner ok\">Round log ").append(esc(f.verdict())).append("</div>\n");
        } else {
            b.append("<div class=\"banner bad\" id=\"unverified\">UNVERIFIED: this round log does not verify (")
                    .append(esc(f.verdict())).append("). The report was forced with --unverified; nothing in it "
                            + "can be relied on.</div>\n");
        }
        summary(b, f, m);
        sites(b, m.sites());
        rounds(b, m.rounds());
        refusals(b, m.refusals());
        charts(b, m);
        b.append("<p class=\"note\">Written by fedmil audit report from the coordinator's round log. Hashes are "
                + "hex SHA-256; short hashes show the first 12 digits.</p>\n</body>\n</html>\n");
        return b.toString();
    }

    private static void summary(StringBuilder b, ReportModel.Federation f, ReportModel m) {
        long roundsRun = m.rounds().stream().filter(r -> r.round() > 0 && r.modelSha256() != null).count();
        String lastModel = m.rounds().stream().filter(r -> r.modelSha256() != null)
                .reduce((a, c) -> c).map(ReportModel.RoundRow::modelSha256).orElse(null);
        b.append("<h2>Federation</h2>\n<table id=\"summary\">\n");
        row(b, "Federation id", esc(f.id()));
        row(b, "Rounds", roundsRun + " aggregated of " + esc(f.plannedRounds()) + " planned");
        long joined = m.sites().stream().filter(s -> s.joined() != null).count();
        row(b, "Sites", joined + " joined (at least " + esc(f.minSites()) + " required)");
        row(b, "Model", esc(f.model()));
        row(b, "Final model", "<span class=\"mono\">" + esc(lastModel) + "</span>");
        row(b, "Differential privacy required", f.dp() == null ? "no" : esc(f.dp()));
        row(b, "Created", esc(f.created()));
        row(b, "Finished", f.finished() == null ? "not recorded" : esc(f.finished()));
        row(b, "Coordinator certificate (SHA-256)", "<span class=\"mono\">" + esc(f.coordinatorFingerprint())
                + "</span>");
        row(b, "Verification", esc(f.verdict()));
        row(b, "Records", String.valueOf(f.records()));
        row(b, "Head hash", "<span class=\"mono\">" + esc(f.headSha256()) + "</span>");
        b.append("</table>\n");
    }

    private static void sites(StringBuilder b, List<ReportModel.SiteRow> sites) {
        b.append("<h2>Sites</h2>\n<table id=\"sites\">\n<tr><th>Site</th><th>Joined</th>"
                + "<th>Certificate (SHA-256)</th><th>Bags</th><th>Updates accepted</th><th>Refused</th>"
                + "<th>Left</th><th>Why</th></tr>\n");
        for (ReportModel.SiteRow s : sites) {
            // a refusal can name a site that never joined (not a member): say so rather than leave it blank
            b.append("<tr><td>").append(esc(s.site())).append("</td><td>")
                    .append(s.joined() == null ? "never joined" : esc(s.joined()))
                    .append("</td><td class=\"mono\">").append(esc(s.fingerprint())).append("</td><td class=\"num\">")
                    .append(esc(s.bags())).append("</td><td class=\"num\">").append(s.accepted())
                    .append("</td><td class=\"num\">").append(s.refused()).append("</td><td>").append(esc(s.left()))
                    .append("</td><td>").append(esc(s.leftReason())).append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    private static void rounds(StringBuilder b, List<ReportModel.RoundRow> rounds) {
        b.append("<h2>Rounds</h2>\n<table id=\"rounds\">\n<tr><th>Round</th><th>Participants</th><th>Site</th>"
                + "<th>Training bags</th><th>Update</th><th>L2 norm</th><th>&epsilon; spent</th><th>Model</th>"
                + "<th>Held-out AUC</th></tr>\n");
        for (ReportModel.RoundRow r : rounds) {
            List<ReportModel.UpdateRow> updates = r.updates().isEmpty()
                    ? List.of(new ReportModel.UpdateRow(null, null, null, null, null)) : r.updates();
            for (int i = 0; i < updates.size(); i++) {
                ReportModel.UpdateRow u = updates.get(i);
                b.append("<tr>");
                if (i == 0) {
                    String span = updates.size() > 1 ? " rowspan=\"" + updates.size() + "\"" : "";
                    b.append("<td").append(span).append(" class=\"num\">").append(r.round() == 0 ? "0 (initial)"
                            : String.valueOf(r.round())).append("</td><td").append(span).append(" class=\"num\">")
                            .append(esc(r.participants())).append("</td>");
                }
                b.append("<td>").append(esc(u.site())).append("</td><td class=\"num\">").append(esc(u.trainingBags()))
                        .append("</td><td class=\"mono\" title=\"").append(esc(u.updateSha256())).append("\">")
                        .append(esc(shortHash(u.updateSha256()))).append("</td><td class=\"num\">")
                        .append(u.l2Norm() == null ? "" : num(u.l2Norm())).append("</td><td class=\"num\">")
                        .append(u.epsilonSpent() == null ? "" : num(u.epsilonSpent())).append("</td>");
                if (i == 0) {
                    String span = updates.size() > 1 ? " rowspan=\"" + updates.size() + "\"" : "";
                    b.append("<td").append(span).append(" class=\"mono\" title=\"").append(esc(r.modelSha256()))
                            .append("\">").append(esc(shortHash(r.modelSha256()))).append("</td><td").append(span)
                            .append(" class=\"num\">").append(r.auc() == null ? "" : num(r.auc())).append("</td>");
                }
                b.append("</tr>\n");
            }
        }
        b.append("</table>\n");
    }

    private static void refusals(StringBuilder b, List<ReportModel.Refusal> refusals) {
        b.append("<h2>Refused updates</h2>\n");
        if (refusals.isEmpty()) {
            b.append("<p class=\"note\">No update was refused.</p>\n");
            return;
        }
        b.append("<table id=\"refusals\">\n<tr><th>Time</th><th>Site</th><th>Round</th><th>Code</th><th>Reason</th>"
                + "</tr>\n");
        for (ReportModel.Refusal r : refusals) {
            b.append("<tr><td>").append(esc(r.time())).append("</td><td>").append(esc(r.site()))
                    .append("</td><td class=\"num\">").append(esc(r.round())).append("</td><td>").append(esc(r.code()))
                    .append("</td><td>").append(esc(r.reason())).append("</td></tr>\n");
        }
        b.append("</table>\n");
    }

    private static void charts(StringBuilder b, ReportModel m) {
        b.append("<h2>Held-out AUC per round</h2>\n");
        List<ReportModel.Point> auc = m.aucByRound();
        if (auc.isEmpty()) {
            b.append("<p class=\"note\">No held-out evaluation was recorded.</p>\n");
        } else {
            b.append(SvgChart.lines("Held-out AUC per round", "round", "AUC",
                    List.of(new SvgChart.Series("held-out AUC", auc)), 0.0, 1.0));
        }
        b.append("<h2>Privacy spent per site (&epsilon;)</h2>\n");
        if (m.epsilonBySite().isEmpty()) {
            b.append("<p class=\"note\" id=\"no-dp\">No DP: no accepted update carried privacy fields.</p>\n");
        } else {
            List<SvgChart.Series> series = new ArrayList<>();
            for (Map.Entry<String, List<ReportModel.Point>> e : m.epsilonBySite().entrySet()) {
                series.add(new SvgChart.Series(e.getKey(), e.getValue()));
            }
            b.append(SvgChart.lines("Epsilon spent per site over rounds", "round", "epsilon spent", series, 0.0,
                    null));
        }
    }

    private static void row(StringBuilder b, String name, String html) {
        b.append("<tr><th>").append(name).append("</th><td>").append(html).append("</td></tr>\n");
    }

    static String shortHash(String hex) {
        return hex == null ? null : hex.length() <= 12 ? hex : hex.substring(0, 12);
    }

    static String num(double v) {
        return String.format(Locale.ROOT, "%.4f", v).replaceAll("0+$", "").replaceAll("\\.$", "");
    }
}
