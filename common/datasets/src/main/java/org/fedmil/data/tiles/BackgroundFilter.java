package org.fedmil.data.tiles;

import java.util.Locale;

/**
 * Drops tiles that are mostly background: a tile is dropped when more than {@code maxFraction} of its pixels
 * are background pixels.
 *
 * <ul>
 *   <li>{@code WHITE} (default; bright-field microscopy such as H&amp;E, where the glass is white): a pixel is
 *       background when every channel is at least {@code white}, or, in colour images, when its HSV saturation
 *       (max − min) / max is below {@code saturation} (grey, unstained: slide background, dust, pen-free glass).
 *       Grey images use the brightness rule only.</li>
 *   <li>{@code DARK} (ultrasound, X-ray, fluorescence, where the background is black): a pixel is background
 *       when every channel is at most {@code dark}.</li>
 *   <li>{@code OFF}: every tile is kept.</li>
 * </ul>
 * Values are in [0, 1] (8-bit pixel / 255).
 */
public record BackgroundFilter(Mode mode, double white, double saturation, double dark, double maxFraction) {

    public enum Mode { WHITE, DARK, OFF }

    public static final double DEFAULT_WHITE = 0.85;
    public static final double DEFAULT_SATURATION = 0.07;
    public static final double DEFAULT_DARK = 0.08;
    public static final double DEFAULT_MAX_FRACTION = 0.5;

    public BackgroundFilter {
        require(white, "--white-threshold");
        require(saturation, "--saturation-threshold");
        require(dark, "--dark-threshold");
        require(maxFraction, "--max-background");
    }

    private static void require(double v, String option) {
        if (!(v >= 0 && v <= 1)) {
            throw new IllegalArgumentException(option + " must be between 0 and 1, got " + v);
        }
    }

    public static BackgroundFilter defaults() {
        return new BackgroundFilter(Mode.WHITE, DEFAULT_WHITE, DEFAULT_SATURATION, DEFAULT_DARK, DEFAULT_MAX_FRACTION);
    }

    /** The fraction of background pixels in a tile given as 1 or 3 planes. */
    public double backgroundFraction(float[][] planes) {
        if (mode == Mode.OFF) {
            return 0;
        }
        int n = planes[0].length;
        int background = 0;
        for (int i = 0; i < n; i++) {
            float min = planes[0][i];
            float max = planes[0][i];
            for (int c = 1; c < planes.length; c++) {
                min = Math.min(min, planes[c][i]);
                max = Math.max(max, planes[c][i]);
            }
            boolean bg;
            if (mode == Mode.DARK) {
                bg = max <= dark;
            } else {
                bg = min >= white || (planes.length == 3 && (max <= 0 ? 0 : (max - min) / max) < saturation);
            }
            background += bg ? 1 : 0;
        }
        return (double) background / n;
    }

    /** Whether the tile is kept. */
    public boolean keeps(float[][] planes) {
        return mode == Mode.OFF || backgroundFraction(planes) <= maxFraction;
    }

    /** For the report and manifest. */
    public String describe() {
        return switch (mode) {
            case OFF -> "off (every tile kept)";
            case DARK -> String.format(Locale.ROOT, "dark: a tile is dropped when more than %.2f of its pixels have "
                    + "every channel <= %.2f", maxFraction, dark);
            case WHITE -> String.format(Locale.ROOT, "white: a tile is dropped when more than %.2f of its pixels have "
                    + "every channel >= %.2f or (colour) saturation < %.2f", maxFraction, white, saturation);
        };
    }
}
