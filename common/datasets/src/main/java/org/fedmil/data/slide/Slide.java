package org.fedmil.data.slide;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.fedmil.data.SourceDataException;

/**
 * An open whole-slide image (OpenSlide): its pyramid levels, resolution and pixels, read a region at a time so
 * memory stays bounded whatever the slide's size. Not for concurrent use; close it.
 */
public final class Slide implements AutoCloseable {

    /** What OpenSlide 3.4 reads; named in every "cannot read" error. */
    public static final String FORMATS = "Aperio (.svs, .tif), Hamamatsu (.ndpi, .vms, .vmu), Leica (.scn), "
            + "MIRAX (.mrxs), Philips (.tiff), Sakura (.svslide), Trestle (.tif), Ventana (.bif, .tif) and generic "
            + "tiled pyramidal TIFF (.tif, .tiff)";

    /** Largest region read at once: 2048 × 2048 pixels, 16 MiB. */
    public static final int MAX_REGION_PIXELS = 2048 * 2048;

    private static final int WHITE = 0xFFFFFF;

    private final Path file;
    private final OpenSlideNative lib;
    private Pointer handle;
    private final long[][] dimensions;
    private final double[] downsamples;

    private Slide(Path file, OpenSlideNative lib, Pointer handle) {
        this.file = file;
        this.lib = lib;
        this.handle = handle;
        int levels = lib.openslide_get_level_count(handle);
        if (levels < 1) {
            String error = lib.openslide_get_error(handle);
            lib.openslide_close(handle);
            throw new SourceDataException(file, "OpenSlide opened it but cannot read it: " + error + "; it may be "
                    + "damaged or cut short (copy it again from the scanner's export)");
        }
        dimensions = new long[levels][];
        downsamples = new double[levels];
        for (int l = 0; l < levels; l++) {
            LongByReference w = new LongByReference();
            LongByReference h = new LongByReference();
            lib.openslide_get_level_dimensions(handle, l, w, h);
            dimensions[l] = new long[]{w.getValue(), h.getValue()};
            downsamples[l] = lib.openslide_get_level_downsample(handle, l);
        }
        checkError("reading its levels");
    }

    /** Opens a slide; a file OpenSlide cannot read gets an error naming it and the formats that work. */
    public static Slide open(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new SourceDataException(file, "not found or not a file");
        }
        OpenSlideNative lib = OpenSlideNative.Holder.get();
        String path = file.toAbsolutePath().toString();
        if (lib.openslide_detect_vendor(path) == null) {
            throw new SourceDataException(file, "is not a whole-slide image OpenSlide can read (a plain, untiled "
                    + "TIFF, PNG or JPEG is not; cut those with 'fedmil data tiles'); formats that work: " + FORMATS);
        }
        Pointer handle = lib.openslide_open(path);
        if (handle == null) {
            throw new SourceDataException(file, "OpenSlide recognised the format but could not open it; formats "
                    + "that work: " + FORMATS);
        }
        String error = lib.openslide_get_error(handle);
        if (error != null) {
            lib.openslide_close(handle);
            throw new SourceDataException(file, "OpenSlide cannot read it: " + error + "; it may be damaged or cut "
                    + "short (copy it again from the scanner's export)");
        }
        return new Slide(file, lib, handle);
    }

    /** Why slides cannot be read on this machine (OpenSlide is not installed), or empty when they can. */
    public static Optional<String> libraryProblem() {
        try {
            OpenSlideNative.Holder.get();
            return Optional.empty();
        } catch (OpenSlideMissingException e) {
            return Optional.of(e.getMessage());
        }
    }

    /** The OpenSlide version in use, e.g. "3.4.1". */
    public static String libraryVersion() {
        return OpenSlideNative.Holder.get().openslide_get_version();
    }

    public Path file() {
        return file;
    }

    public int levelCount() {
        return dimensions.length;
    }

    public long width(int level) {
        return dimensions[level][0];
    }

    public long height(int level) {
        return dimensions[level][1];
    }

    /** Level-0 pixels per pixel of {@code level}. */
    public double downsample(int level) {
        return downsamples[level];
    }

    /**
     * Micrometres per level-0 pixel (x, y), if the slide says: OpenSlide's {@code openslide.mpp-x/-y}, else (a
     * generic TIFF under OpenSlide 3.4) the TIFF resolution tags in centimetres or inches. A TIFF resolution
     * outside {@value #MIN_MPP}–{@value #MAX_MPP} µm is taken as no resolution: it is the 72 or 96 dpi that
     * image software writes by default, not a scanner's.
     */
    public Optional<double[]> micronsPerPixel() {
        Optional<Double> x = number("openslide.mpp-x").filter(v -> v > 0);
        if (x.isPresent()) {
            return Optional.of(new double[]{x.get(), number("openslide.mpp-y").filter(v -> v > 0).orElse(x.get())});
        }
        String unit = property("tiff.ResolutionUnit").orElse("");
        double micronsPerUnit = unit.equals("centimeter") ? 10_000 : unit.equals("inch") ? 25_400 : 0;
        Optional<Double> xRes = number("tiff.XResolution").filter(v -> v > 0);
        if (micronsPerUnit == 0 || xRes.isEmpty()) {
            return Optional.empty();
        }
        double mx = micronsPerUnit / xRes.get();
        double my = number("tiff.YResolution").filter(v -> v > 0).map(v -> micronsPerUnit / v).orElse(mx);
        return mx >= MIN_MPP && mx <= MAX_MPP ? Optional.of(new double[]{mx, my}) : Optional.empty();
    }

    /** Plausible scanner resolutions, µm per pixel (40× ≈ 0.25, 20× ≈ 0.5; 1.25× ≈ 8). */
    static final double MIN_MPP = 0.05;
    static final double MAX_MPP = 50;

    private Optional<Double> number(String property) {
        String v = property(property).orElse(null);
        if (v == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Double.parseDouble(v.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    public Optional<String> property(String name) {
        return Optional.ofNullable(lib.openslide_get_property_value(open(), name));
    }

    /** Every property OpenSlide reports (vendor, scanner, resolution, …), in its order. */
    public Map<String, String> properties() {
        Map<String, String> out = new LinkedHashMap<>();
        Pointer names = lib.openslide_get_property_names(open());
        if (names != null) {
            for (String n : names.getStringArray(0)) {
                out.put(n, lib.openslide_get_property_value(handle, n));
            }
        }
        return out;
    }

    /**
     * Reads a region of {@code level}, its top-left corner given in level-0 coordinates (as OpenSlide takes it),
     * as opaque RGB ints (0xRRGGBB); pixels outside the slide, or transparent in it, are white (background).
     */
    public int[] readRgb(int level, long x0, long y0, int w, int h) {
        if ((long) w * h > MAX_REGION_PIXELS) {
            throw new IllegalArgumentException("region of " + w + "×" + h + " pixels is over the " + MAX_REGION_PIXELS
                    + "-pixel cap of one read");
        }
        int[] px = new int[w * h];
        lib.openslide_read_region(open(), px, x0, y0, level, w, h);
        checkError("reading a region at level " + level + " (" + x0 + ", " + y0 + ")");
        for (int i = 0; i < px.length; i++) {
            px[i] = opaque(px[i]);
        }
        return px;
    }

    /** Premultiplied ARGB → RGB over white. */
    static int opaque(int argb) {
        int a = argb >>> 24;
        if (a == 255) {
            return argb & WHITE;
        }
        if (a == 0) {
            return WHITE;
        }
        int inv = 255 - a; // premultiplied: c = c_straight·a/255, so over white it is c + (255 − a)
        int r = Math.min(255, ((argb >> 16) & 0xFF) + inv);
        int g = Math.min(255, ((argb >> 8) & 0xFF) + inv);
        int b = Math.min(255, (argb & 0xFF) + inv);
        return (r << 16) | (g << 8) | b;
    }

    private void checkError(String doing) {
        String error = lib.openslide_get_error(handle);
        if (error != null) {
            throw new SourceDataException(file, "OpenSlide failed " + doing + ": " + error + "; the file may be "
                    + "damaged or cut short (copy it again from the scanner's export)");
        }
    }

    private Pointer open() {
        if (handle == null) {
            throw new IllegalStateException(file + " is closed");
        }
        return handle;
    }

    @Override
    public void close() {
        if (handle != null) {
            lib.openslide_close(handle);
            handle = null;
        }
    }
}
