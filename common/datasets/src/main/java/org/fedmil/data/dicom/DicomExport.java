package org.fedmil.data.dicom;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.fedmil.data.SourceDataException;
import org.fedmil.data.tiles.CsvLine;

/**
 * A folder of DICOM files as a PACS or a CD exports it (any nesting, any file names): the image files found, the
 * files skipped (not DICOM, or no image), and how each bag gets its label.
 */
public final class DicomExport {

    /** What a scan found; {@code problems} are files that are DICOM images but cannot be used. */
    public record Scan(List<DicomHeader> headers, int skipped, List<DicomBags.Problem> problems) {
    }

    private DicomExport() {
    }

    /** A file as the site's staff find it: its path inside the export folder {@code root}, else as it is. */
    public static String shown(Path root, Path file) {
        return file.startsWith(root) ? root.relativize(file).toString() : file.toString();
    }

    /** Reads the header of every regular, not hidden file under {@code dir}. */
    public static Scan scan(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new SourceDataException(dir, "not a folder; give the folder the DICOM export was copied to");
        }
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir)) {
            files = s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new SourceDataException(dir, "cannot be listed: " + e.getMessage(), e);
        }
        List<DicomHeader> headers = new ArrayList<>();
        List<DicomBags.Problem> problems = new ArrayList<>();
        int skipped = 0;
        for (Path f : files) {
            try {
                var h = DicomHeader.read(f);
                if (h.isPresent()) {
                    headers.add(h.get());
                } else {
                    skipped++;
                }
            } catch (SourceDataException e) {
                problems.add(new DicomBags.Problem(f.toString(), e.detail()));
            }
        }
        return new Scan(headers, skipped, problems);
    }

    /** Labels from the first folder under {@code dir} each bag's files lie in: {@code positive} 1, others 0. */
    public static List<DicomConverter.Labelled> labelByFolder(List<DicomBags.Bag> bags, Path dir, String positive) {
        List<DicomConverter.Labelled> out = new ArrayList<>();
        for (DicomBags.Bag b : bags) {
            Integer label = null;
            for (DicomHeader h : b.files()) {
                Path rel = dir.relativize(h.file());
                if (rel.getNameCount() < 2) {
                    throw new SourceDataException(h.file(), "lies directly in " + dir + ", not in a class folder; "
                            + "with --positive, put each class's export in its own sub-folder (e.g. "
                            + positive + "/ and normal/)");
                }
                int l = rel.getName(0).toString().equals(positive) ? 1 : 0;
                if (label != null && label != l) {
                    throw new SourceDataException(h.file(), "belongs to a bag whose other files are in another class "
                            + "folder; a series (or study) has one label: keep its files in one folder");
                }
                label = l;
            }
            out.add(new DicomConverter.Labelled(b, label));
        }
        if (out.stream().noneMatch(l -> l.label() == 1)) {
            throw new IllegalArgumentException("--positive " + positive + ": no bag lies in a folder of that name "
                    + "under " + dir);
        }
        return out;
    }

    /** Labels from a CSV of UID,label rows (labels 0, 1, or empty for a case not labelled yet). */
    public static List<DicomConverter.Labelled> labelByCsv(List<DicomBags.Bag> bags, Path csv, String uidColumn,
                                                           String labelColumn) {
        List<String> lines;
        try {
            lines = Files.readAllLines(csv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new SourceDataException(csv, "cannot be read: " + e.getMessage(), e);
        }
        if (lines.isEmpty()) {
            throw new SourceDataException(csv, "is empty; expected a header line (" + uidColumn + "," + labelColumn
                    + ") and one row per bag");
        }
        List<String> header = CsvLine.split(lines.get(0));
        int u = header.indexOf(uidColumn);
        int l = header.indexOf(labelColumn);
        if (u < 0 || l < 0) {
            throw new SourceDataException(csv, "has no '" + (u < 0 ? uidColumn : labelColumn) + "' column (header: "
                    + lines.get(0) + "); name the columns with --uid-column and --label-column");
        }
        Map<String, Integer> labels = new HashMap<>();
        for (int i = 1; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            List<String> row = CsvLine.split(lines.get(i));
            String v = row.size() > l ? row.get(l).strip() : "";
            if (!v.isEmpty() && !v.equals("0") && !v.equals("1")) {
                throw new SourceDataException(csv, "line " + (i + 1) + ": label '" + v + "' is not 0, 1 or empty");
            }
            labels.put(row.size() > u ? row.get(u).strip() : "", v.isEmpty() ? -1 : Integer.parseInt(v));
        }
        List<DicomConverter.Labelled> out = new ArrayList<>();
        List<String> unlisted = new ArrayList<>();
        for (DicomBags.Bag b : bags) {
            Integer label = labels.get(b.uid());
            if (label == null) {
                unlisted.add(b.files().get(0).file().toString());
            } else {
                out.add(new DicomConverter.Labelled(b, label));
            }
        }
        if (!unlisted.isEmpty()) {
            throw new SourceDataException(csv, unlisted.size() + " bag(s) of the export have no row here (their " + uidColumn
                    + " is not listed), e.g. the one of " + unlisted.get(0) + "; add rows (an empty label for a "
                    + "case not labelled yet) or move those files out of the export folder");
        }
        return out;
    }
}
