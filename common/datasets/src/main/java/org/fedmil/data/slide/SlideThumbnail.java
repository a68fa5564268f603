package org.fedmil.data.slide;

/**
 * A slide shrunk to at most {@code maxSide} pixels a side, for tissue detection and heatmaps: each thumbnail
 * pixel is the mean of the pixels of the finest level coarse enough, read block by block, so memory is the
 * thumbnail plus one block even for a slide without a pyramid.
 *
 * @param scale level-0 pixels per thumbnail pixel
 */
public record SlideThumbnail(int[] rgb, int width, int height, double scale) {

    private static final int BLOCK = 2048;

    public static SlideThumbnail of(Slide slide, int maxSide) {
        long w0 = slide.width(0);
        long h0 = slide.height(0);
        double scale = Math.max(1.0, (double) Math.max(w0, h0) / maxSide);
        int tw = (int) Math.max(1, Math.ceil(w0 / scale));
        int th = (int) Math.max(1, Math.ceil(h0 / scale));
        int level = SlideLevels.coarsestAtMost(slide, scale);
        double ds = slide.downsample(level);
        long lw = slide.width(level);
        long lh = slide.height(level);
        long[][] sums = new long[3][tw * th];
        int[] counts = new int[tw * th];
        for (long by = 0; by < lh; by += BLOCK) {
            for (long bx = 0; bx < lw; bx += BLOCK) {
                int bw = (int) Math.min(BLOCK, lw - bx);
                int bh = (int) Math.min(BLOCK, lh - by);
                int[] px = slide.readRgb(level, Math.round(bx * ds), Math.round(by * ds), bw, bh);
                for (int y = 0; y < bh; y++) {
                    int ty = (int) Math.min(th - 1, (long) ((by + y) * ds / scale));
                    for (int x = 0; x < bw; x++) {
                        int tx = (int) Math.min(tw - 1, (long) ((bx + x) * ds / scale));
                        int p = px[y * bw + x];
                        int t = ty * tw + tx;
                        sums[0][t] += (p >> 16) & 0xFF;
                        sums[1][t] += (p >> 8) & 0xFF;
                        sums[2][t] += p & 0xFF;
                        counts[t]++;
                    }
                }
            }
        }
        int[] rgb = new int[tw * th];
        for (int t = 0; t < rgb.length; t++) {
            int n = Math.max(1, counts[t]);
            rgb[t] = counts[t] == 0 ? 0xFFFFFF : (int) (sums[0][t] / n) << 16 | (int) (sums[1][t] / n) << 8
                    | (int) (sums[2][t] / n);
        }
        return new SlideThumbnail(rgb, tw, th, scale);
    }
}
