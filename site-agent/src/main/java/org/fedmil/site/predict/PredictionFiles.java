package org.fedmil.site.predict;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedmil.site.explain.Html;
import org.fedmil.site.explain.InstanceExplanation;
import org.fedmil.site.explain.TileDataUris;
import org.fedmil.util.AtomicFiles;

/**
 * What {@code fedmil predict} writes, all at the site: {@value #PREDICTIONS} (a row per bag), {@value #TOP}
 * (its most attended instances), {@value #THRESHOLD} (the decision threshold and where it came from) and
 * {@value #PAGE} (a self-contained page with the top tiles and any slide heatmaps). Each file is written whole
 * or not at all (temp file + fsync + rename).
 */
public final class PredictionFiles {

    public static final String PREDICTIONS = "predictions.csv";
    public static final String TOP = "top_instances.csv";
    public static final String THRESHOLD = "threshold.json";
    public static final String PAGE = "predictions.html";
    public static final String HEATMAPS = "heatmaps";

    private final Path dir;

    public PredictionFiles(Path dir) {
        this.dir = dir;
    }

    public Path dir() {
        return dir;
    }

    /**
     * Writes every file.
     *
     * @param heatmaps per bag id, the heatmap PNGs written under {@link #HEATMAPS}
     * @param facts    model and data facts for the page and threshold.json
     */
    public void write(List<Prediction> predictions, DecisionThreshold threshold, int top,
                      Map<String, List<Path>> heatmaps, Map<String, String> facts) throws IOException {
        StringBuilder csv = new StringBuilder("bag_id,label,probability,decision,threshold\n");
        StringBuilder tops = new StringBuilder("bag_id,rank,instance,attention,score\n");
        for (Prediction p : predictions) {
            csv.append(p.bagId()).append(',').append(p.label() < 0 ? "" : Integer.toString(p.label())).append(',')
                    .append(String.format(Locale.ROOT, "%.6f,%d,%.6f", p.probability(), p.decision(),
                            threshold.value())).append('\n');
            for (InstanceExplanation i : p.top(top)) {
                tops.append(p.bagId()).append(',').append(i.rank()).append(',').append(i.name()).append(',')
                        .append(String.format(Locale.ROOT, "%.6f,%.6f", i.attention(), i.score())).append('\n');
            }
        }
        text(PREDICTIONS, csv.toString());
        text(TOP, tops.toString());
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("threshold", threshold.value());
        t.put("chosen_on", threshold.chosenOn());
        t.put("negatives", threshold.negatives());
        t.put("positives", threshold.positives());
        t.put("sensitivity", Double.isNaN(threshold.sensitivity()) ? null : threshold.sensitivity());
        t.put("specificity", Double.isNaN(threshold.specificity()) ? null : threshold.specificity());
        t.putAll(facts);
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(t);
        AtomicFiles.write(dir.resolve(THRESHOLD), o -> o.write(json));
        text(PAGE, page(predictions, threshold, top, heatmaps, facts));
    }

    private void text(String name, String content) throws IOException {
        byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(dir.resolve(name), o -> o.write(bytes));
    }

    private String page(List<Prediction> predictions, DecisionThreshold threshold, int top,
                        Map<String, List<Path>> heatmaps, Map<String, String> facts) {
        StringBuilder h = new StringBuilder("<!doctype html>\n<html><head><meta charset=\"utf-8\">"
                + "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
                + "style-src 'unsafe-inline'\"><title>Predictions</title><style>body{font-family:sans-serif;margin:"
                + "1em}td,th{padding:2px 8px;text-align:left;vertical-align:top}img.t{width:64px;height:64px;"
                + "margin:1px}img.h{max-width:480px}</style></head><body>\n<h1>Predictions</h1>\n<p>Kept at this "
                + "site; nothing was sent.</p>\n<table>");
        facts.forEach((k, v) -> h.append("<tr><th>").append(Html.escape(k)).append("</th><td>")
                .append(Html.escape(v)).append("</td></tr>"));
        h.append("<tr><th>decision threshold</th><td>").append(Html.escape(threshold.describe()))
                .append("</td></tr></table>\n<table><tr><th>bag</th><th>label</th><th>probability</th><th>decision"
                        + "</th><th>most attended</th></tr>\n");
        for (Prediction p : predictions) {
            h.append("<tr><td>").append(Html.escape(p.bagId())).append("</td><td>")
                    .append(p.label() < 0 ? "" : p.label()).append("</td><td>")
                    .append(String.format(Locale.ROOT, "%.4f", p.probability())).append("</td><td>")
                    .append(p.decision() == 1 ? "positive" : "negative").append("</td><td>");
            for (InstanceExplanation i : p.top(top)) {
                if (i.tile() != null) {
                    TileDataUris.dataUri(i.tile()).ifPresent(uri -> h.append("<img class=\"t\" alt=\"")
                            .append(Html.escape(i.name())).append("\" title=\"").append(Html.escape(String.format(
                                    Locale.ROOT, "%s: attention %.3f", i.name(), i.attention())))
                            .append("\" src=\"").append(uri).append("\">"));
                } else {
                    h.append(Html.escape(i.name())).append(' ');
                }
            }
            for (Path png : heatmaps.getOrDefault(p.bagId(), List.of())) { // embedded: the page fetches nothing
                TileDataUris.dataUri(png).ifPresent(uri -> h.append("<br><img class=\"h\" alt=\"attention heatmap "
                        + "of ").append(Html.escape(png.getFileName().toString())).append("\" src=\"").append(uri)
                        .append("\">"));
            }
            h.append("</td></tr>\n");
        }
        return h.append("</table></body></html>\n").toString();
    }
}
