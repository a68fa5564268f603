package org.fedmil.data.slide;

import java.util.ArrayDeque;

/**
 * Where the tissue is on a slide's thumbnail, as CLAM finds it: HSV saturation, thresholded by Otsu's method
 * (stained tissue is coloured, glass and background are grey or white), never below {@code minSaturation} (so
 * a blank slide has no tissue rather than its noise split in two), then objects smaller than {@code minObject}
 * thumbnail pixels removed and holes smaller than {@code maxHole} filled. Pen marks are coloured too: they are
 * tissue to this mask, as to CLAM's default.
 */
public final class TissueMask {

    private final int width;
    private final int height;
    private final boolean[] tissue;
    private final double threshold;

    private TissueMask(int width, int height, boolean[] tissue, double threshold) {
        this.width = width;
        this.height = height;
        this.tissue = tissue;
        this.threshold = threshold;
    }

    /**
     * @param rgb           thumbnail pixels, 0xRRGGBB, row by row
     * @param minSaturation the lowest threshold Otsu may choose (0–1)
     * @param minObject     tissue components of fewer pixels are dropped
     * @param maxHole       background components enclosed by tissue with fewer pixels are filled
     */
    public static TissueMask detect(int[] rgb, int width, int height, double minSaturation, int minObject,
                                    int maxHole) {
        if (rgb.length != width * height) {
            throw new IllegalArgumentException("thumbnail has " + rgb.length + " pixels, not " + width + "×" + height);
        }
        int[] sat = new int[rgb.length];
        int[] histogram = new int[256];
        for (int i = 0; i < rgb.length; i++) {
            int r = (rgb[i] >> 16) & 0xFF;
            int g = (rgb[i] >> 8) & 0xFF;
            int b = rgb[i] & 0xFF;
            int max = Math.max(r, Math.max(g, b));
            int min = Math.min(r, Math.min(g, b));
            sat[i] = max == 0 ? 0 : Math.round(255f * (max - min) / max);
            histogram[sat[i]]++;
        }
        int cut = Math.max(otsu(histogram, rgb.length), (int) Math.ceil(minSaturation * 255));
        boolean[] mask = new boolean[rgb.length];
        for (int i = 0; i < mask.length; i++) {
            mask[i] = sat[i] > cut;
        }
        removeSmall(mask, width, height, true, minObject);
        removeSmall(mask, width, height, false, maxHole);
        return new TissueMask(width, height, mask, cut / 255.0);
    }

    /** Otsu's threshold of a 256-bin histogram: the level that maximises the between-class variance. */
    static int otsu(int[] histogram, int total) {
        double sum = 0;
        for (int i = 0; i < 256; i++) {
            sum += (double) i * histogram[i];
        }
        double sumBelow = 0;
        long below = 0;
        double best = -1;
        int level = 0;
        for (int t = 0; t < 256; t++) {
            below += histogram[t];
            if (below == 0) {
                continue;
            }
            long above = total - below;
            if (above == 0) {
                break;
            }
            sumBelow += (double) t * histogram[t];
            double meanBelow = sumBelow / below;
            double meanAbove = (sum - sumBelow) / above;
            double between = (double) below * above * (meanBelow - meanAbove) * (meanBelow - meanAbove);
            if (between > best) {
                best = between;
                level = t;
            }
        }
        return level;
    }

    /**
     * Flips every 4-connected component of {@code value} smaller than {@code minSize}; for background
     * ({@code value} false) only components that do not touch the border, which are holes.
     */
    private static void removeSmall(boolean[] mask, int w, int h, boolean value, int minSize) {
        if (minSize <= 1) {
            return;
        }
        boolean[] seen = new boolean[mask.length];
        int[] component = new int[mask.length];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        for (int start = 0; start < mask.length; start++) {
            if (seen[start] || mask[start] != value) {
                continue;
            }
            int n = 0;
            boolean border = false;
            seen[start] = true;
            queue.add(start);
            while (!queue.isEmpty()) {
                int p = queue.poll();
                component[n++] = p;
                int x = p % w;
                int y = p / w;
                border |= x == 0 || y == 0 || x == w - 1 || y == h - 1;
                if (x > 0) {
                    visit(mask, seen, queue, p - 1, value);
                }
                if (x < w - 1) {
                    visit(mask, seen, queue, p + 1, value);
                }
                if (y > 0) {
                    visit(mask, seen, queue, p - w, value);
                }
                if (y < h - 1) {
                    visit(mask, seen, queue, p + w, value);
                }
            }
            if (n < minSize && (value || !border)) {
                for (int i = 0; i < n; i++) {
                    mask[component[i]] = !value;
                }
            }
        }
    }

    private static void visit(boolean[] mask, boolean[] seen, ArrayDeque<Integer> queue, int p, boolean value) {
        if (!seen[p] && mask[p] == value) {
            seen[p] = true;
            queue.add(p);
        }
    }

    public int width() {
        return width;
    }

    public int height() {
        return height;
    }

    /** The saturation threshold used (0–1). */
    public double threshold() {
        return threshold;
    }

    public boolean tissue(int x, int y) {
        return tissue[y * width + x];
    }

    /** Fraction of the thumbnail's pixels that are tissue. */
    public double tissueFraction() {
        int n = 0;
        for (boolean t : tissue) {
            n += t ? 1 : 0;
        }
        return (double) n / tissue.length;
    }

    /**
     * Fraction of tissue in a rectangle of thumbnail coordinates (fractional edges rounded to whole pixels, at
     * least one pixel), the test a tile passes or not.
     */
    public double tissueFraction(double x0, double y0, double x1, double y1) {
        int ax = clamp((int) Math.floor(x0), width);
        int ay = clamp((int) Math.floor(y0), height);
        int bx = Math.max(ax + 1, Math.min(width, (int) Math.ceil(x1)));
        int by = Math.max(ay + 1, Math.min(height, (int) Math.ceil(y1)));
        int n = 0;
        for (int y = ay; y < by; y++) {
            for (int x = ax; x < bx; x++) {
                n += tissue[y * width + x] ? 1 : 0;
            }
        }
        return (double) n / ((bx - ax) * (by - ay));
    }

    private static int clamp(int v, int size) {
        return Math.max(0, Math.min(size - 1, v));
    }
}
