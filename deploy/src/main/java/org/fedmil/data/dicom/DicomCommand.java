package org.fedmil.data.dicom;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedmil.data.OutputFolder;
import org.fedmil.data.SourceDataException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedmil data dicom}: a DICOM export → a tile site folder, a bag per series (or study). */
@Command(name = "dicom", mixinStandardHelpOptions = true, version = DicomConverter.GENERATOR,
        description = {"Turns a DICOM export (a folder of files, any nesting; uncompressed transfer syntaxes) into "
                + "one site folder: a bag per series (CT, MRI: its slices ordered along the patient) or per study "
                + "(X-ray: its views), a tile per slice or frame: values rescaled (slope, intercept: HU for CT), "
                + "windowed, padded to a square and resampled to --size. Writes DIR/bags.csv, DIR/tiles/<bag_id>/, "
                + "DIR/" + DicomConverter.REPORT + ", DIR/" + DicomConverter.INDEX + " and DIR/"
                + DicomConverter.MANIFEST + ".",
                "Bag ids are keyed hashes of the series (study) UIDs; no patient tag or UID is written or printed. "
                        + "A series with missing slices, two slices at one position or slices of different sizes is "
                        + "refused, and nothing is written. See docs/data-format.md."})
public final class DicomCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "DIR", description = "The DICOM export folder.")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output site folder.")
    Path out;

    @Option(names = "--size", required = true, paramLabel = "PX", description = "Tile side in pixels (e.g. 224 for "
            + "ImageNet encoders, 64 for a small CNN).")
    int size;

    @Option(names = "--bag", paramLabel = "series|study", defaultValue = "series",
            description = "What one bag is (default: ${DEFAULT-VALUE}).")
    String bag;

    @Option(names = "--window", paramLabel = "W", description = "auto (each file's own window, else its series' "
            + "0.5–99.5 %% range), a CT preset (brain, soft_tissue, lung, bone, liver) or LEVEL,WIDTH; three of "
            + "them make three-channel tiles (default: auto).")
    List<String> windows = new ArrayList<>();

    @Option(names = "--labels", paramLabel = "CSV", description = "A CSV of UID,label rows (0, 1 or empty for a case "
            + "not labelled yet), keyed by the series (or, with --bag study, study) instance UID.")
    Path labels;

    @Option(names = "--uid-column", paramLabel = "NAME", description = "The --labels column of UIDs (default: "
            + "series_uid, or study_uid with --bag study).")
    String uidColumn;

    @Option(names = "--label-column", paramLabel = "NAME", defaultValue = "label",
            description = "The --labels column of labels (default: ${DEFAULT-VALUE}).")
    String labelColumn;

    @Option(names = "--positive", paramLabel = "NAME", description = "Without --labels: the export's class folders "
            + "label the bags, this one 1 and every other 0. Without either, bags are not labelled (new cases for "
            + "fedmil predict).")
    String positive;

    @Option(names = "--id-key", paramLabel = "FILE", description = "The key bag ids are hashed with (default: "
            + "DIR/" + BagIds.DEFAULT_KEY_FILE + ", made on first use); give the same key to a later export to keep "
            + "the ids of the same series.")
    Path idKey;

    @Option(names = "--force", description = "Write into DIR even if it is not empty (its bags.csv and tiles/ are "
            + "replaced).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        try {
            DicomBags.BagBy by = DicomBags.BagBy.valueOf(bag.strip().toUpperCase(Locale.ROOT));
            List<DicomWindow> ws = windows.isEmpty() ? List.of(DicomWindow.AUTO)
                    : windows.stream().map(DicomWindow::parse).toList();
            DicomConverter converter = new DicomConverter(size, by, ws);
            if (labels != null && positive != null) {
                throw new IllegalArgumentException("give --labels or --positive, not both");
            }
            if (!OutputFolder.usable(out, force, "dicom", err)) {
                return 2;
            }
            List<DicomConverter.Labelled> bags = plan(by);
            BagIds ids = BagIds.fromKeyFile(idKey != null ? idKey : out.resolve(BagIds.DEFAULT_KEY_FILE));
            List<DicomConverter.Written> rows = converter.run(bags, input.toAbsolutePath(), out, ids);
            print(rows, ws.size() == 3 || rows.isEmpty() ? ws.size() : channels(rows));
            return 0;
        } catch (SourceDataException | IllegalArgumentException e) {
            err.println("dicom: " + e.getMessage());
            err.flush();
            return 2;
        }
    }

    private List<DicomConverter.Labelled> plan(DicomBags.BagBy by) {
        DicomExport.Scan scan = DicomExport.scan(input.toAbsolutePath());
        List<DicomBags.Problem> problems = new ArrayList<>(scan.problems());
        List<DicomBags.Bag> bags = DicomBags.group(scan.headers(), by, problems);
        if (!problems.isEmpty()) {
            StringBuilder s = new StringBuilder(problems.size() + " problem(s) with the export; nothing was written:");
            Path root = input.toAbsolutePath();
            problems.stream().limit(20).forEach(p -> s.append("\n  ").append(DicomExport.shown(root, Path.of(p.where()))).append(": ")
                    .append(p.what()));
            throw new SourceDataException(null, s.toString());
        }
        if (bags.isEmpty()) {
            throw new SourceDataException(input, "holds no DICOM image (" + scan.skipped() + " other file(s)); give "
                    + "the folder the export was copied to");
        }
        if (labels != null) {
            String column = uidColumn != null ? uidColumn : by == DicomBags.BagBy.SERIES ? "series_uid" : "study_uid";
            return DicomExport.labelByCsv(bags, labels, column, labelColumn);
        }
        if (positive != null) {
            return DicomExport.labelByFolder(bags, input.toAbsolutePath(), positive);
        }
        return bags.stream().map(b -> new DicomConverter.Labelled(b, -1)).toList();
    }

    private static int channels(List<DicomConverter.Written> rows) {
        return rows.get(0).bag().files().get(0).samplesPerPixel() == 3 ? 3 : 1;
    }

    private void print(List<DicomConverter.Written> rows, int channels) {
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "%-22s %5s %-8s %6s %9s %10s  %s%n", "bag", "label", "modality", "files", "instances",
                "spacing", "window (level,width)");
        for (DicomConverter.Written w : rows) {
            double spacing = w.bag().sliceSpacing();
            o.printf(Locale.ROOT, "%-22s %5s %-8s %6d %9d %10s  %s%n", w.bagId(), w.label() < 0 ? "-" : w.label(),
                    w.bag().files().get(0).modality(), w.bag().files().size(), w.bag().instances(),
                    Double.isNaN(spacing) ? "-" : DicomBags.shown(spacing) + " mm", w.window());
        }
        o.println("wrote " + rows.size() + " bags (" + rows.stream().mapToInt(w -> w.bag().instances()).sum()
                + " tiles) to " + out.toAbsolutePath() + "; load it with tile format channels " + channels + ", size "
                + size);
        o.flush();
    }
}
