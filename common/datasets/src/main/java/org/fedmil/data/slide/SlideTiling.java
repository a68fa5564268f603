package org.fedmil.data.slide;

import org.fedmil.mil.data.TileFormat;

/**
 * How slides are cut into tiles.
 *
 * @param tileSize       tile side in pixels, as written
 * @param overlap        pixels shared by neighbouring tiles (0: adjacent)
 * @param targetMpp      µm per tile pixel; null tiles level-0 pixels as they are
 * @param slideMpp       µm per level-0 pixel for slides that do not say (null: such a slide is an error when a
 *                       target is set)
 * @param minTissue      a tile is kept when at least this fraction of it is tissue
 * @param minSaturation  the lowest saturation threshold tissue detection may use (0–1)
 * @param thumbnailSide  longest side of the thumbnail tissue is detected on
 * @param maxTilesPerSlide most tiles per slide (a seeded subset), 0 for all
 */
public record SlideTiling(int tileSize, int overlap, Double targetMpp, Double slideMpp, double minTissue,
                          double minSaturation, int thumbnailSide, int maxTilesPerSlide, long seed) {

    public static final double DEFAULT_MIN_TISSUE = 0.5;
    public static final double DEFAULT_MIN_SATURATION = 0.05;
    public static final int DEFAULT_THUMBNAIL_SIDE = 1024;

    public SlideTiling {
        if (tileSize < TileFormat.MIN_SIZE || tileSize > TileFormat.MAX_SIZE) {
            throw new IllegalArgumentException("--tile-size must be between " + TileFormat.MIN_SIZE + " and "
                    + TileFormat.MAX_SIZE + " pixels, got " + tileSize);
        }
        if (overlap < 0 || overlap >= tileSize) {
            throw new IllegalArgumentException("--overlap must be from 0 to tile size − 1 (" + (tileSize - 1)
                    + "), got " + overlap);
        }
        if (targetMpp != null && !(targetMpp > 0)) {
            throw new IllegalArgumentException("--target-mpp must be a positive number of micrometres per pixel "
                    + "(e.g. 0.5 for 20×), got " + targetMpp);
        }
        if (slideMpp != null && !(slideMpp > 0)) {
            throw new IllegalArgumentException("--slide-mpp must be a positive number of micrometres per pixel, got "
                    + slideMpp);
        }
        if (!(minTissue > 0 && minTissue <= 1)) {
            throw new IllegalArgumentException("--min-tissue must be in (0, 1], got " + minTissue);
        }
        if (!(minSaturation >= 0 && minSaturation < 1)) {
            throw new IllegalArgumentException("--min-saturation must be in [0, 1), got " + minSaturation);
        }
        if (thumbnailSide < 64) {
            throw new IllegalArgumentException("--thumbnail-side must be at least 64 pixels, got " + thumbnailSide);
        }
        if (maxTilesPerSlide < 0) {
            throw new IllegalArgumentException("--max-tiles must be 0 (all) or more, got " + maxTilesPerSlide);
        }
    }

    public static SlideTiling of(int tileSize, Double targetMpp) {
        return new SlideTiling(tileSize, 0, targetMpp, null, DEFAULT_MIN_TISSUE, DEFAULT_MIN_SATURATION,
                DEFAULT_THUMBNAIL_SIDE, 0, 1);
    }

    public SlideTiling withMaxTiles(int max, long s) {
        return new SlideTiling(tileSize, overlap, targetMpp, slideMpp, minTissue, minSaturation, thumbnailSide, max,
                s);
    }

    public SlideTiling withSlideMpp(Double mpp) {
        return new SlideTiling(tileSize, overlap, targetMpp, mpp, minTissue, minSaturation, thumbnailSide,
                maxTilesPerSlide, seed);
    }

    public SlideTiling withOverlap(int px) {
        return new SlideTiling(tileSize, px, targetMpp, slideMpp, minTissue, minSaturation, thumbnailSide,
                maxTilesPerSlide, seed);
    }

    public SlideTiling withTissue(double min, double saturation) {
        return new SlideTiling(tileSize, overlap, targetMpp, slideMpp, min, saturation, thumbnailSide,
                maxTilesPerSlide, seed);
    }
}
