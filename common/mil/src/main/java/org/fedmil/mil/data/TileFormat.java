package org.fedmil.mil.data;

/**
 * The shape every image tile of a tile site is decoded to: {@code channels} planes of {@code size × size}
 * pixels. It is not stored with the data but comes from the federation's model spec (its tile size and
 * channels), so that every site feeds the model the same input whatever size its images are.
 *
 * @param channels 1 (grey) or 3 (RGB)
 * @param size     side length in pixels after resizing, at least 4
 */
public record TileFormat(int channels, int size) {

    public static final int MIN_SIZE = 4;
    /** Large enough for any tile a MIL model would take; keeps {@link #dim()} far from int overflow. */
    public static final int MAX_SIZE = 4096;

    public TileFormat {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("tile channels must be 1 (grey) or 3 (RGB), got " + channels);
        }
        if (size < MIN_SIZE || size > MAX_SIZE) {
            throw new IllegalArgumentException("tile size must be between " + MIN_SIZE + " and " + MAX_SIZE
                    + " pixels, got " + size);
        }
    }

    /** Values per tile, i.e. the feature dimension of a tile bag: channels · size · size. */
    public int dim() {
        return channels * size * size;
    }

    @Override
    public String toString() {
        return channels + "×" + size + "×" + size;
    }
}
