package org.fedmil.data.tiles;

import java.util.Locale;

/**
 * How samples of more than 8 bits (16-bit TIFF and PNG) become values in [0, 1]. 8-bit samples are always
 * divided by 255.
 *
 * <ul>
 *   <li>{@code depth} (default): by the declared bit depth, v / (2^bits − 1), e.g. v / 65535. Brightness stays
 *       comparable between images, but data that uses only 12 of 16 bits comes out dark.</li>
 *   <li>{@code image}: each image stretched from its own minimum to its own maximum (over all its channels),
 *       for data whose range varies by acquisition; brightness is then not comparable between images.</li>
 *   <li>a number N (e.g. 4095 for 12-bit data in 16-bit files): v / N, values above N clipped to 1.</li>
 * </ul>
 */
public record HighDepthScale(Kind kind, double max) {

    public enum Kind { DEPTH, IMAGE, FIXED }

    public static final HighDepthScale DEPTH = new HighDepthScale(Kind.DEPTH, 0);

    /** Parses the option value: "depth", "image" or a positive number. */
    public static HighDepthScale parse(String text) {
        String t = text.strip().toLowerCase(Locale.ROOT);
        if (t.equals("depth")) {
            return DEPTH;
        }
        if (t.equals("image")) {
            return new HighDepthScale(Kind.IMAGE, 0);
        }
        try {
            double v = Double.parseDouble(t);
            if (v > 0 && Double.isFinite(v)) {
                return new HighDepthScale(Kind.FIXED, v);
            }
        } catch (NumberFormatException e) {
            // falls through to the message below
        }
        throw new IllegalArgumentException("--scale-16bit must be 'depth', 'image' or the largest sample value "
                + "(e.g. 4095 for 12-bit data), got '" + text + "'");
    }

    @Override
    public String toString() {
        return kind == Kind.FIXED ? Double.toString(max) : kind.name().toLowerCase(Locale.ROOT);
    }
}
