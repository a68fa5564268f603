package org.fedmil.site.explain;

import java.io.IOException;
import java.io.Writer;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The explanation as one self-contained HTML page: a list of the bags with label and predicted probability,
 * then per bag its instances ranked by attention, as tiles (embedded as data: URIs) or, for feature bags, as a
 * table with bars. It loads nothing: no scripts, no style sheets, no images from elsewhere, and its
 * Content-Security-Policy forbids the browser to fetch anything. Every piece of text is escaped.
 */
public final class ExplanationPage {

    /**
     * What the page says about where it came from, shown at its top.
     *
     * @param facts label → value pairs (model file, model, data folder, metadata …), shown in order
     */
    public record Context(String title, Map<String, String> facts) {
    }

    private static final String STYLE = """
            body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}
            h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em;border-top:1px solid #ccc;padding-top:.8em}
            table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:left;border-bottom:1px solid #eee}
            .num{text-align:right;font-variant-numeric:tabular-nums}
            .note{background:#fff6d6;padding:.5em .8em;border-left:4px solid #e0b000}
            .bar{display:inline-block;width:8em;height:.8em;background:#eee;vertical-align:middle}
            .bar span{display:block;height:100%}
            .tiles{display:flex;flex-wrap:wrap;gap:.8em}
            figure{margin:0;width:10em;font-size:.8em}figure img{width:10em;height:10em;object-fit:contain;
            background:#f4f4f4;image-rendering:pixelated}figure .bar{width:10em}
            .missing{width:10em;height:10em;background:#f4f4f4;display:flex;align-items:center;
            justify-content:center;text-align:center;color:#888}
            """;

    private final int top;

    /** @param top how many instances per bag the page shows (the CSV files hold all of them) */
    public ExplanationPage(int top) {
        if (top < 1) {
            throw new IllegalArgumentException("a page shows at least 1 instance per bag, not " + top);
        }
        this.top = top;
    }

    public void write(Writer out, Context context, List<BagExplanation> bags) throws IOException {
        out.write("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        // Defence in depth behind the escaping: no script runs and nothing is fetched, whatever the page holds.
        out.write("<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
                + "style-src 'unsafe-inline'\">\n");
        out.write("<title>" + Html.escape(context.title()) + "</title>\n<style>\n" + STYLE + "</style>\n</head>\n<body>\n");
        out.write("<h1>" + Html.escape(context.title()) + "</h1>\n");
        out.write("<p class=\"note\">Made at this site from the site's own data. Nothing on this page was sent "
                + "anywhere; it may show patient material, so keep it inside the hospital.</p>\n");
        out.write("<table>\n");
        for (Map.Entry<String, String> fact : context.facts().entrySet()) {
            out.write("<tr><th>" + Html.escape(fact.getKey()) + "</th><td>" + Html.escape(fact.getValue())
                    + "</td></tr>\n");
        }
        out.write("</table>\n");
        writeBagList(out, bags);
        for (BagExplanation bag : bags) {
            writeBag(out, bag);
        }
        out.write("</body>\n</html>\n");
    }

    private void writeBagList(Writer out, List<BagExplanation> bags) throws IOException {
        out.write("<h2>Bags</h2>\n<table>\n<tr><th>bag</th><th>label</th><th class=\"num\">predicted "
                + "probability</th><th class=\"num\">instances</th><th>most attended</th></tr>\n");
        for (BagExplanation bag : bags) {
            InstanceExplanation first = bag.top();
            out.write("<tr><td><a href=\"#" + anchor(bag) + "\">" + Html.escape(bag.bagId()) + "</a></td><td>"
                    + label(bag.label()) + "</td><td class=\"num\">" + fixed(bag.probability(), 3)
                    + "</td><td class=\"num\">" + bag.instances().size() + "</td><td>" + Html.escape(first.name())
                    + " (" + fixed(first.attention(), 4) + ")</td></tr>\n");
        }
        out.write("</table>\n");
    }

    private void writeBag(Writer out, BagExplanation bag) throws IOException {
        List<InstanceExplanation> shown = bag.instances().subList(0, Math.min(top, bag.instances().size()));
        float max = bag.top().attention();
        out.write("<section id=\"" + anchor(bag) + "\">\n<h2>" + Html.escape(bag.bagId()) + "</h2>\n");
        out.write("<p>label " + label(bag.label()) + " · predicted probability " + fixed(bag.probability(), 3)
                + " · " + bag.instances().size() + " instances"
                + (shown.size() < bag.instances().size() ? ", the " + shown.size() + " with most attention shown"
                : "") + ", ranked by attention</p>\n");
        boolean tiles = shown.stream().anyMatch(i -> i.tile() != null);
        if (tiles) {
            out.write("<div class=\"tiles\">\n");
            for (InstanceExplanation i : shown) {
                writeTile(out, i, max);
            }
            out.write("</div>\n");
        } else {
            out.write("<table>\n<tr><th class=\"num\">rank</th><th>instance</th><th class=\"num\">attention</th>"
                    + "<th></th><th class=\"num\">instance score</th><th></th></tr>\n");
            for (InstanceExplanation i : shown) {
                out.write("<tr><td class=\"num\">" + i.rank() + "</td><td>" + Html.escape(i.name())
                        + "</td><td class=\"num\">" + fixed(i.attention(), 4) + "</td><td>"
                        + bar(i.attention(), max) + "</td><td class=\"num\">" + fixed(i.score(), 3) + "</td><td>"
                        + bar(i.score(), 1f) + "</td></tr>\n");
            }
            out.write("</table>\n");
        }
        out.write("</section>\n");
    }

    private static void writeTile(Writer out, InstanceExplanation i, float max) throws IOException {
        out.write("<figure>");
        Optional<String> image = i.tile() == null ? Optional.empty() : TileDataUris.dataUri(i.tile());
        if (image.isPresent()) {
            out.write("<img src=\"" + image.get() + "\" alt=\"" + Html.escape(i.name()) + "\">");
        } else {
            out.write("<div class=\"missing\">" + (i.tile() == null ? "no image" : "tile file not readable")
                    + "</div>");
        }
        out.write(bar(i.attention(), max));
        out.write("<figcaption>#" + i.rank() + " " + Html.escape(i.name()) + "<br>attention "
                + fixed(i.attention(), 4) + " · score " + fixed(i.score(), 3) + "</figcaption></figure>\n");
    }

    /** A bar as long as value / max, coloured from blue (little) to red (the most). */
    static String bar(float value, float max) {
        double share = max > 0 ? Math.max(0, Math.min(1, value / max)) : 0;
        return String.format(Locale.ROOT, "<span class=\"bar\"><span style=\"width:%.1f%%;background:hsl(%.0f,75%%,"
                + "45%%)\"></span></span>", 100 * share, 240 * (1 - share));
    }

    private static String anchor(BagExplanation bag) {
        return "bag-" + Html.escape(bag.bagId());
    }

    private static String label(int label) {
        return label == 1 ? "positive (1)" : "negative (0)";
    }

    private static String fixed(float x, int decimals) {
        return String.format(Locale.ROOT, "%." + decimals + "f", x);
    }
}
