package org.fedmil.site.explain;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.util.AtomicFiles;

/**
 * Writes an explanation to a folder, each file atomically:
 * <pre>
 *   out/index.html          the page ({@link ExplanationPage})
 *   out/summary.csv         bag_id,label,probability,instances,top_instance,top_name,top_attention
 *   out/bags/&lt;bag_id&gt;.csv   rank,instance,name,attention,score: every instance, rank 1 first
 * </pre>
 * The per-bag files sit in a subfolder so that no bag id (e.g. "summary") can overwrite the summary.
 */
public final class ExplanationFiles {

    public static final String PAGE = "index.html";
    public static final String SUMMARY = "summary.csv";
    public static final String BAGS_DIR = "bags";

    private final Path dir;

    public ExplanationFiles(Path dir) {
        this.dir = dir;
    }

    public Path page() {
        return dir.resolve(PAGE);
    }

    public Path summary() {
        return dir.resolve(SUMMARY);
    }

    /** Bag ids are restricted to safe file-name characters (BagIds), so the id is the file name. */
    public Path bagCsv(String bagId) {
        return dir.resolve(BAGS_DIR).resolve(bagId + ".csv");
    }

    public void write(List<BagExplanation> bags, ExplanationPage page, ExplanationPage.Context context) {
        try {
            for (BagExplanation bag : bags) {
                AtomicFiles.write(bagCsv(bag.bagId()), out -> text(out, w -> writeBag(w, bag)));
            }
            AtomicFiles.write(summary(), out -> text(out, w -> writeSummary(w, bags)));
            AtomicFiles.write(page(), out -> text(out, w -> page.write(w, context, bags)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the explanation to " + dir + ": " + e.getMessage()
                    + "; pass --out with a folder you can write", e);
        }
    }

    private interface Body {
        void writeTo(Writer w) throws IOException;
    }

    private static void text(java.io.OutputStream out, Body body) throws IOException {
        Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
        body.writeTo(w);
        w.flush();
    }

    private static void writeBag(Writer w, BagExplanation bag) throws IOException {
        w.write("rank,instance,name,attention,score\n");
        for (InstanceExplanation i : bag.instances()) {
            w.write(i.rank() + "," + i.index() + "," + csv(i.name()) + "," + i.attention() + "," + i.score() + "\n");
        }
    }

    private static void writeSummary(Writer w, List<BagExplanation> bags) throws IOException {
        w.write("bag_id,label,probability,instances,top_instance,top_name,top_attention\n");
        for (BagExplanation bag : bags) {
            InstanceExplanation top = bag.top();
            w.write(csv(bag.bagId()) + "," + bag.label() + "," + bag.probability() + "," + bag.instances().size()
                    + "," + top.index() + "," + csv(top.name()) + "," + top.attention() + "\n");
        }
    }

    /** RFC 4180 quoting for a field that holds a comma, quote or line break (a tile's file name may). */
    static String csv(String field) {
        if (field.indexOf(',') < 0 && field.indexOf('"') < 0 && field.indexOf('\n') < 0 && field.indexOf('\r') < 0) {
            return field;
        }
        return "\"" + field.replace("\"", "\"\"") + "\"";
    }
}
