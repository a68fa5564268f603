package org.fedmil.data.dicom;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedmil.data.SourceDataException;
import org.fedmil.data.TileSiteFiles;
import org.fedmil.data.tiles.CsvText;
import org.fedmil.data.tiles.TilePng;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.util.AtomicFiles;

/**
 * Writes DICOM bags as a tile site folder: {@code tiles/<bag_id>/NNNN.png} (a slice or frame each, windowed,
 * padded to a square and resampled to {@code size}), {@value #REPORT}, {@value #INDEX} (which bag came from which
 * files, for the site's own eyes), {@value #MANIFEST} and {@code bags.csv} last, so a folder without it is an
 * interrupted run. Bag ids are keyed hashes of UIDs; no UID or patient tag is written.
 */
public final class DicomConverter {

    public static final String GENERATOR = "fedmil-dicom/1";
    public static final String REPORT = "dicom_report.csv";
    public static final String INDEX = "dicom_bags.csv";
    public static final String MANIFEST = "manifest.json";
    private static final int SAMPLE = 1 << 20;

    /** A bag and its label (-1: not labelled yet). */
    public record Labelled(DicomBags.Bag bag, int label) {
    }

    /** What was written for one bag. */
    public record Written(String bagId, int label, DicomBags.Bag bag, String window) {
    }

    private final int size;
    private final DicomBags.BagBy by;
    private final List<DicomWindow> windows;

    public DicomConverter(int size, DicomBags.BagBy by, List<DicomWindow> windows) {
        if (size < 8) {
            throw new IllegalArgumentException("--size " + size + ": give at least 8 pixels");
        }
        if (windows.size() != 1 && windows.size() != 3) {
            throw new IllegalArgumentException("give one --window (grey tiles) or three (one per colour channel), "
                    + "not " + windows.size());
        }
        this.size = size;
        this.by = by;
        this.windows = List.copyOf(windows);
    }

    /** Writes the site folder {@code out}; {@code input} is the export folder paths are shown relative to. */
    public List<Written> run(List<Labelled> bags, Path input, Path out, BagIds ids) throws IOException {
        int channels = channels(bags);
        Files.createDirectories(out);
        Files.deleteIfExists(out.resolve(BagDataset.INDEX_FILE));
        TileSiteFiles.replaceTilesFolder(out);
        List<Written> written = new ArrayList<>();
        StringBuilder index = new StringBuilder(BagDataset.HEADER).append('\n');
        for (Labelled l : bags) {
            String id = ids.of(l.bag().uid(), by);
            Path folder = Files.createDirectories(out.resolve(BagDataset.TILES_DIR).resolve(id));
            String name = "%0" + Math.max(4, Integer.toString(l.bag().instances() - 1).length()) + "d.png";
            String window = writeBag(l.bag(), folder, name, channels);
            written.add(new Written(id, l.label(), l.bag(), window));
            index.append(id).append(',').append(TileSiteFiles.label(l.label())).append('\n');
        }
        TileSiteFiles.writeText(out.resolve(REPORT), report(written));
        TileSiteFiles.writeText(out.resolve(INDEX), sources(written, input));
        byte[] manifest = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsBytes(manifest(written, channels));
        AtomicFiles.write(out.resolve(MANIFEST), o -> o.write(manifest));
        AtomicFiles.write(out.resolve(BagDataset.INDEX_FILE), o -> o.write(index.toString()
                .getBytes(StandardCharsets.UTF_8)));
        return written;
    }

    /** 3 for colour files (ultrasound, photos) or three windows, else 1; a mixed export is refused. */
    private int channels(List<Labelled> bags) {
        List<DicomHeader> all = bags.stream().flatMap(b -> b.bag().files().stream()).toList();
        DicomHeader colour = all.stream().filter(DicomHeader::colour).findFirst().orElse(null);
        DicomHeader grey = all.stream().filter(h -> !h.colour()).findFirst().orElse(null);
        if (colour != null && grey != null) {
            throw new SourceDataException(null, "the export mixes colour images (e.g. " + colour.file() + ") and grey "
                    + "ones (e.g. " + grey.file() + "); one site folder holds one tile format: convert them apart");
        }
        if (colour != null && (windows.size() != 1 || !windows.get(0).auto())) {
            throw new IllegalArgumentException("--window applies to grey images, but the export holds colour ones "
                    + "(e.g. " + colour.file() + "); leave --window out");
        }
        return colour != null ? 3 : windows.size();
    }

    private String writeBag(DicomBags.Bag bag, Path folder, String format, int channels) throws IOException {
        double[] range = null;
        if (windows.stream().anyMatch(DicomWindow::auto)
                && bag.files().stream().anyMatch(h -> Double.isNaN(h.windowWidth()) && !h.colour())) {
            range = percentileRange(bag);
        }
        String used = null;
        int n = 0;
        for (DicomHeader h : bag.files()) {
            if (h.colour()) {
                for (float[][] planes : DicomPixels.colour(h)) {
                    write(folder, format, n++, planes, h, false);
                }
                used = "colour";
                continue;
            }
            for (float[] values : DicomPixels.grey(h)) {
                float[][] planes = new float[channels][];
                StringBuilder w = new StringBuilder();
                for (int c = 0; c < channels; c++) {
                    double[] lohi = bounds(windows.get(c), h, range);
                    planes[c] = new float[values.length];
                    for (int i = 0; i < values.length; i++) {
                        float v = windows.get(c).apply(values[i], lohi[0], lohi[1]);
                        planes[c][i] = h.monochrome1() ? 1 - v : v;
                    }
                    w.append(c == 0 ? "" : "|").append(DicomBags.shown((lohi[0] + lohi[1]) / 2)).append(',')
                            .append(DicomBags.shown(lohi[1] - lohi[0]));
                }
                used = used == null || used.equals(w.toString()) ? w.toString() : "per file";
                write(folder, format, n++, planes, h, true);
            }
        }
        return used;
    }

    /** The window's lower and upper value for file {@code h}. */
    private static double[] bounds(DicomWindow w, DicomHeader h, double[] bagRange) {
        if (!w.auto()) {
            return new double[] {w.level() - w.width() / 2, w.level() + w.width() / 2};
        }
        if (!Double.isNaN(h.windowWidth()) && h.windowWidth() > 0) {
            return new double[] {h.windowCenter() - h.windowWidth() / 2, h.windowCenter() + h.windowWidth() / 2};
        }
        return bagRange;
    }

    /** The 0.5 and 99.5 % points of the bag's values (a sample of them), so a few extreme pixels do not rule. */
    private static double[] percentileRange(DicomBags.Bag bag) {
        long total = (long) bag.instances() * bag.files().get(0).rows() * bag.files().get(0).columns();
        int stride = (int) Math.max(1, total / SAMPLE);
        float[] sample = new float[(int) Math.min(total, SAMPLE) + bag.files().size()];
        int n = 0;
        long k = 0;
        for (DicomHeader h : bag.files()) {
            for (float[] values : DicomPixels.grey(h)) {
                for (float v : values) {
                    if (k++ % stride == 0 && n < sample.length) {
                        sample[n++] = v;
                    }
                }
            }
        }
        Arrays.sort(sample, 0, n);
        double lo = sample[(int) (0.005 * (n - 1))];
        double hi = sample[(int) Math.ceil(0.995 * (n - 1))];
        return hi > lo ? new double[] {lo, hi} : new double[] {lo - 0.5, lo + 0.5};
    }

    private void write(Path folder, String format, int n, float[][] planes, DicomHeader h, boolean grey)
            throws IOException {
        float[][] square = new float[planes.length][];
        for (int c = 0; c < planes.length; c++) {
            square[c] = squareAndResize(planes[c], h.columns(), h.rows(), h.monochrome1() ? 1 : 0);
        }
        TilePng.write(folder.resolve(String.format(Locale.ROOT, format, n)), square, size, grey);
    }

    /** Pads to a centred square with {@code background}, then resamples (averaging when shrinking) to size². */
    private float[] squareAndResize(float[] plane, int w, int h, float background) {
        int side = Math.max(w, h);
        float[] sq = new float[side * side];
        Arrays.fill(sq, background);
        int ox = (side - w) / 2;
        int oy = (side - h) / 2;
        for (int y = 0; y < h; y++) {
            System.arraycopy(plane, y * w, sq, (y + oy) * side + ox, w);
        }
        if (side == size) {
            return sq;
        }
        ImageProcessor ip = new FloatProcessor(side, side, sq);
        ip.setInterpolationMethod(ImageProcessor.BILINEAR);
        return (float[]) ip.resize(size, size, true).getPixels();
    }

    private static String report(List<Written> rows) {
        StringBuilder s = new StringBuilder("bag_id,label,modality,files,instances,columns,rows,slice_spacing_mm,"
                + "window\n");
        for (Written w : rows) {
            DicomHeader first = w.bag().files().get(0);
            double spacing = w.bag().sliceSpacing();
            s.append(w.bagId()).append(',').append(TileSiteFiles.label(w.label())).append(',')
                    .append(CsvText.field(first.modality())).append(',').append(w.bag().files().size()).append(',')
                    .append(w.bag().instances()).append(',').append(first.columns()).append(',').append(first.rows())
                    .append(',').append(Double.isNaN(spacing) ? "" : DicomBags.shown(spacing))
                    .append(',').append(CsvText.field(w.window())).append('\n');
        }
        return s.toString();
    }

    private static String sources(List<Written> rows, Path input) {
        StringBuilder s = new StringBuilder("bag_id,first_file,files\n");
        for (Written w : rows) {
            String shown = DicomExport.shown(input, w.bag().files().get(0).file());
            s.append(w.bagId()).append(',').append(CsvText.field(shown)).append(',').append(w.bag().files().size())
                    .append('\n');
        }
        return s.toString();
    }

    private Map<String, Object> manifest(List<Written> rows, int channels) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", GENERATOR);
        m.put("reader", "ImageJ " + ij.IJ.getFullVersion());
        m.put("bag_by", by.name().toLowerCase(Locale.ROOT));
        m.put("windows", windows.stream().map(w -> w.auto() ? "auto" : w.name() + " (" + w.level() + ", " + w.width()
                + ")").toList());
        m.put("tile_format", TileSiteFiles.ordered("channels", channels, "size", size));
        m.put("bags", rows.size());
        m.put("positive_bags", rows.stream().filter(r -> r.label() == 1).count());
        m.put("files", rows.stream().mapToLong(r -> r.bag().files().size()).sum());
        m.put("instances", rows.stream().mapToLong(r -> r.bag().instances()).sum());
        return m;
    }
}
