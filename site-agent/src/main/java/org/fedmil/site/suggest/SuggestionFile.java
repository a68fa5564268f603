package org.fedmil.site.suggest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.fedmil.mil.active.BagUncertainty;
import org.fedmil.util.AtomicFiles;

/**
 * The ranked list {@code fedmil site suggest} writes: one CSV row per unlabeled bag, most uncertain first, for
 * the site's clinicians. Written atomically, at the site only.
 */
public final class SuggestionFile {

    public static final String HEADER = "rank,bag_id,probability,entropy,instance_disagreement,view_disagreement";

    private SuggestionFile() {
    }

    public static String csv(List<BagUncertainty> ranked) {
        StringBuilder b = new StringBuilder(HEADER).append('\n');
        for (int i = 0; i < ranked.size(); i++) {
            BagUncertainty u = ranked.get(i);
            b.append(String.format(Locale.ROOT, "%d,%s,%.6f,%.6f,%.6f,%s%n", i + 1, u.bagId(), u.probability(),
                    u.entropy(), u.instanceDisagreement(), Double.isNaN(u.viewDisagreement()) ? ""
                            : String.format(Locale.ROOT, "%.6f", u.viewDisagreement())));
        }
        return b.toString();
    }

    public static void write(Path file, List<BagUncertainty> ranked) {
        byte[] bytes = csv(ranked).getBytes(StandardCharsets.UTF_8);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            AtomicFiles.write(file, out -> out.write(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the suggestions to " + file + ": " + e.getMessage()
                    + "; choose another --out", e);
        }
    }
}
