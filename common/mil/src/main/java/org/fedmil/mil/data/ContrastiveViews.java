package org.fedmil.mil.data;

import java.util.Objects;
import java.util.Random;

/**
 * Two random views of each tile for contrastive pretraining (SimCLR, Chen et al. 2020): each view applies, per tile
 * and independently, one of the 8 symmetries of the square, a shift of up to {@code maxShift} pixels (the edge row
 * or column repeated into the gap, so no black border becomes a cue), and a colour jitter: contrast around the
 * tile's mean times a gain per channel, both uniform in [1 − jitter, 1 + jitter], clamped to [0, 1].
 *
 * <p>SimCLR's strongest augmentation is a random resized crop; at 27–28 pixels a crop-and-resize mostly blurs the
 * nucleus, so a small shift stands in for it. Flips and rotations carry no information about histology or
 * top-down clothing photographs, which is why the encoder may be taught to ignore them.
 */
public final class ContrastiveViews {

    private final TileFormat format;
    private final TileAugmentation symmetries;
    private final double jitter;
    private final int maxShift;

    /**
     * @param jitter   colour jitter strength in [0, 1); 0 leaves colours as they are
     * @param maxShift largest shift in pixels, 0 for none; less than the tile size
     */
    public ContrastiveViews(TileFormat format, double jitter, int maxShift) {
        this.format = Objects.requireNonNull(format, "format");
        if (!(jitter >= 0 && jitter < 1)) {
            throw new IllegalArgumentException("colour jitter must be in [0, 1), got " + jitter);
        }
        if (maxShift < 0 || maxShift >= format.size()) {
            throw new IllegalArgumentException("max shift must be 0.." + (format.size() - 1) + " pixels for tiles of "
                    + format + ", got " + maxShift);
        }
        this.symmetries = new TileAugmentation(format, true, true);
        this.jitter = jitter;
        this.maxShift = maxShift;
    }

    public TileFormat format() {
        return format;
    }

    /**
     * One random view of each of {@code n} tiles, flattened CHW one after the other as in a {@link Bag}; the input
     * is not changed. Two calls give the two views of SimCLR.
     *
     * @throws IllegalArgumentException if {@code tiles} does not hold {@code n} tiles of this format
     */
    public float[] view(float[] tiles, int n, Random rng) {
        Objects.requireNonNull(rng, "rng");
        if (n < 1 || (long) n * format.dim() != tiles.length) {
            throw new IllegalArgumentException(tiles.length + " values are not " + n + " tiles of " + format
                    + " (" + format.dim() + " values each)");
        }
        float[] out = symmetries.apply(new Bag("views", 0, n, format.dim(), tiles), rng).features();
        if (out == tiles) {
            out = tiles.clone();
        }
        int s = format.size();
        int plane = s * s;
        float[] scratch = new float[plane];
        for (int t = 0; t < n; t++) {
            int base = t * format.dim();
            if (maxShift > 0) {
                int dy = rng.nextInt(2 * maxShift + 1) - maxShift;
                int dx = rng.nextInt(2 * maxShift + 1) - maxShift;
                for (int c = 0; c < format.channels(); c++) {
                    shift(out, base + c * plane, s, dy, dx, scratch);
                }
            }
            if (jitter > 0) {
                jitterColours(out, base, rng);
            }
        }
        return out;
    }

    /** Moves one plane by (dy, dx), repeating the edge pixels into the uncovered rows and columns. */
    private static void shift(float[] a, int offset, int s, int dy, int dx, float[] scratch) {
        System.arraycopy(a, offset, scratch, 0, s * s);
        for (int y = 0; y < s; y++) {
            int sy = Math.min(s - 1, Math.max(0, y - dy));
            for (int x = 0; x < s; x++) {
                int sx = Math.min(s - 1, Math.max(0, x - dx));
                a[offset + y * s + x] = scratch[sy * s + sx];
            }
        }
    }

    private void jitterColours(float[] a, int base, Random rng) {
        int dim = format.dim();
        double mean = 0;
        for (int i = 0; i < dim; i++) {
            mean += a[base + i];
        }
        mean /= dim;
        double contrast = 1 + jitter * (2 * rng.nextDouble() - 1);
        int plane = format.size() * format.size();
        for (int c = 0; c < format.channels(); c++) {
            double gain = 1 + jitter * (2 * rng.nextDouble() - 1);
            int from = base + c * plane;
            for (int i = from; i < from + plane; i++) {
                double v = ((a[i] - mean) * contrast + mean) * gain;
                a[i] = (float) Math.min(1, Math.max(0, v));
            }
        }
    }

    @Override
    public String toString() {
        return "ContrastiveViews[" + format + ", 8 symmetries, shift ≤ " + maxShift + " px, jitter " + jitter + "]";
    }
}
