package org.fedmil.data.dicom;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A display window: values from {@code level - width/2} to {@code level + width/2} map to 0–1, the rest is
 * clipped. For CT the values are Hounsfield units, so the presets mean the same on every scanner; {@link #AUTO}
 * takes each file's own window (0028,1050/1051) and, where a file states none, its series' 0.5–99.5 % range.
 */
public record DicomWindow(String name, double level, double width) {

    public static final DicomWindow AUTO = new DicomWindow("auto", Double.NaN, Double.NaN);

    /** The usual CT presets (level, width in HU). */
    public static final Map<String, DicomWindow> PRESETS = presets();

    public DicomWindow {
        if (!Double.isNaN(width) && width <= 0) {
            throw new IllegalArgumentException("a window's width must be positive, not " + width);
        }
    }

    /** "auto", a preset name, or "LEVEL,WIDTH". */
    public static DicomWindow parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("auto")) {
            return AUTO;
        }
        DicomWindow preset = PRESETS.get(t.replace('-', '_'));
        if (preset != null) {
            return preset;
        }
        String[] parts = t.split(",");
        try {
            if (parts.length == 2) {
                return new DicomWindow(text.strip(), Double.parseDouble(parts[0]), Double.parseDouble(parts[1]));
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("--window " + text + ": not a window; give auto, one of "
                + String.join(", ", PRESETS.keySet()) + ", or LEVEL,WIDTH (e.g. 40,400)");
    }

    boolean auto() {
        return Double.isNaN(width);
    }

    /** {@code value} in this window, 0–1. */
    float apply(double value, double lo, double hi) {
        return (float) Math.min(1, Math.max(0, (value - lo) / (hi - lo)));
    }

    private static Map<String, DicomWindow> presets() {
        Map<String, DicomWindow> m = new LinkedHashMap<>();
        m.put("brain", new DicomWindow("brain", 40, 80));
        m.put("soft_tissue", new DicomWindow("soft_tissue", 40, 400));
        m.put("lung", new DicomWindow("lung", -600, 1500));
        m.put("bone", new DicomWindow("bone", 400, 1800));
        m.put("liver", new DicomWindow("liver", 60, 160));
        return java.util.Collections.unmodifiableMap(m);
    }
}
