package org.fedmil.mil.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;

/**
 * Random flips and right-angle rotations of the tiles of a tile bag, for training: each tile independently
 * gets a transform drawn uniformly from the chosen group, applied to all its channels alike. Pixel values are
 * only moved, never interpolated, so every tile keeps exactly its values.
 *
 * <ul>
 *   <li>flips only: identity, horizontal flip, vertical flip, and both (which is the 180° rotation) — a tile
 *       is flipped horizontally and vertically each with probability 1/2; never turned by 90°;</li>
 *   <li>rotations only: 0°, 90°, 180°, 270°;</li>
 *   <li>both: the 8 symmetries of the square (the 4 rotations, each with or without a horizontal flip);</li>
 *   <li>neither: the identity; {@link #apply} returns the bag itself.</li>
 * </ul>
 * Histology and other top-down images have no natural orientation, which is why these transforms keep the
 * label.
 */
public final class TileAugmentation {

    private final TileFormat format;
    private final boolean flips;
    private final boolean rotations;
    /** For each transform of the group: output pixel index → input pixel index within one plane. */
    private final List<int[]> group;

    public TileAugmentation(TileFormat format, boolean flips, boolean rotations) {
        this.format = Objects.requireNonNull(format, "format");
        this.flips = flips;
        this.rotations = rotations;
        this.group = group(format.size(), flips, rotations);
    }

    public TileFormat format() {
        return format;
    }

    public boolean flips() {
        return flips;
    }

    public boolean rotations() {
        return rotations;
    }

    /** Whether {@link #apply} leaves every bag unchanged (neither flips nor rotations). */
    public boolean isIdentity() {
        return group.size() == 1;
    }

    /**
     * A new bag with each tile transformed independently; {@code bag} is not modified. With
     * {@link #isIdentity()} the bag itself is returned and {@code rng} is not used.
     *
     * @throws IllegalArgumentException if the bag's instances are not tiles of this format
     */
    public Bag apply(Bag bag, Random rng) {
        Objects.requireNonNull(rng, "rng");
        if (bag.dim() != format.dim()) {
            throw new IllegalArgumentException("bag '" + bag.id() + "' has " + bag.dim() + " values per instance, "
                    + "not " + format.dim() + " as tiles of " + format + " have");
        }
        if (isIdentity()) {
            return bag;
        }
        float[] in = bag.features();
        float[] out = new float[in.length];
        int plane = format.size() * format.size();
        for (int t = 0; t < bag.instances(); t++) {
            int[] from = group.get(rng.nextInt(group.size()));
            for (int c = 0; c < format.channels(); c++) {
                int base = t * format.dim() + c * plane;
                for (int i = 0; i < plane; i++) {
                    out[base + i] = in[base + from[i]];
                }
            }
        }
        return new Bag(bag.id(), bag.label(), bag.instances(), bag.dim(), out);
    }

    /** How many transforms the chosen group has: 1, 4 (flips only, or rotations only) or 8 (both). */
    public int groupSize() {
        return group.size();
    }

    /**
     * A new bag with every tile given the same transform, number {@code element} of the group (0 is the
     * identity, and returns the bag itself): one deterministic view of the whole bag, as test-time augmentation
     * averages over. The group's order is fixed (see {@link #group}).
     *
     * @throws IllegalArgumentException if the bag's instances are not tiles of this format, or {@code element}
     *                                  is not in [0, {@link #groupSize()})
     */
    public Bag view(Bag bag, int element) {
        if (element < 0 || element >= group.size()) {
            throw new IllegalArgumentException("transform " + element + " is not in this group of " + group.size()
                    + " (" + this + ")");
        }
        if (bag.dim() != format.dim()) {
            throw new IllegalArgumentException("bag '" + bag.id() + "' has " + bag.dim() + " values per instance, "
                    + "not " + format.dim() + " as tiles of " + format + " have");
        }
        if (element == 0) {
            return bag;
        }
        int[] from = group.get(element);
        float[] in = bag.features();
        float[] out = new float[in.length];
        int plane = format.size() * format.size();
        for (int t = 0; t < bag.instances(); t++) {
            for (int c = 0; c < format.channels(); c++) {
                int base = t * format.dim() + c * plane;
                for (int i = 0; i < plane; i++) {
                    out[base + i] = in[base + from[i]];
                }
            }
        }
        return new Bag(bag.id(), bag.label(), bag.instances(), bag.dim(), out);
    }

    private static List<int[]> group(int s, boolean flips, boolean rotations) {
        List<int[]> g = new ArrayList<>();
        g.add(map(s, (y, x) -> y * s + x)); // identity
        if (flips) {
            g.add(map(s, (y, x) -> y * s + (s - 1 - x)));               // horizontal flip (mirror left-right)
            g.add(map(s, (y, x) -> (s - 1 - y) * s + x));               // vertical flip (upside down)
        }
        if (flips || rotations) {
            g.add(map(s, (y, x) -> (s - 1 - y) * s + (s - 1 - x)));     // 180°: both flips
        }
        if (rotations) {
            g.add(map(s, (y, x) -> x * s + (s - 1 - y)));               // 90° counter-clockwise
            g.add(map(s, (y, x) -> (s - 1 - x) * s + y));               // 90° clockwise
        }
        if (flips && rotations) {
            g.add(map(s, (y, x) -> x * s + y));                         // transpose
            g.add(map(s, (y, x) -> (s - 1 - x) * s + (s - 1 - y)));     // anti-transpose
        }
        return List.copyOf(g);
    }

    private interface Source {
        int of(int y, int x);
    }

    private static int[] map(int s, Source source) {
        int[] m = new int[s * s];
        for (int y = 0; y < s; y++) {
            for (int x = 0; x < s; x++) {
                m[y * s + x] = source.of(y, x);
            }
        }
        return m;
    }

    @Override
    public String toString() {
        return "TileAugmentation[" + format + (flips ? ", flips" : "") + (rotations ? ", rotations" : "")
                + (isIdentity() ? ", identity" : "") + "]";
    }
}
