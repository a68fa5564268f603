package org.fedmil.data.slide;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fedmil.data.SourceDataException;
import org.fedmil.data.tiles.SeededSubset;

/**
 * Where one slide's tiles are, found without writing anything: its resolution, the pyramid level to read, the
 * tissue mask on its thumbnail and the level-0 corners of the tiles that are tissue. Costs the thumbnail's
 * memory while it is made and a pair of numbers per tile after.
 *
 * @param mpp       µm per level-0 pixel (NaN when unknown and no target was asked)
 * @param side      tile side in level-0 pixels
 * @param level     the level tiles are read from
 * @param gridTiles tiles on the slide's grid
 * @param tiles     level-0 top-left corners of the tissue tiles, capped, in reading order
 * @param tissueTiles tissue tiles before the cap
 */
public record SlidePlan(Path file, long width, long height, double mpp, double side, int level, double tissueFraction,
                        double saturationThreshold, int gridTiles, int tissueTiles, List<long[]> tiles) {

    /** Plans a slide; problems (unreadable, no resolution, no tissue) are thrown, naming the file. */
    public static SlidePlan of(Path file, SlideTiling tiling, String id) {
        try (Slide slide = Slide.open(file)) {
            double mpp = resolution(slide, tiling);
            double scale = tiling.targetMpp() == null ? 1 : tiling.targetMpp() / mpp;
            if (scale < 1 - 1e-6) {
                throw new SourceDataException(file, String.format(java.util.Locale.ROOT, "is scanned at %.4g µm per "
                        + "pixel, coarser than the --target-mpp %.4g asked for; tiles are never enlarged: choose a "
                        + "--target-mpp of at least %.4g", mpp, tiling.targetMpp(), mpp));
            }
            double side = tiling.tileSize() * scale;
            double stride = (tiling.tileSize() - tiling.overlap()) * scale;
            long w = slide.width(0);
            long h = slide.height(0);
            if (w < side || h < side) {
                throw new SourceDataException(file, "is " + w + "×" + h + " pixels, smaller than one tile ("
                        + Math.round(side) + " level-0 pixels a side); choose a smaller --tile-size or --target-mpp");
            }
            int level = SlideLevels.coarsestAtMost(slide, scale);
            long read = Math.round(side / slide.downsample(level));
            if (read * read > Slide.MAX_REGION_PIXELS) {
                throw new SourceDataException(file, "has no pyramid level near --target-mpp: a tile would be read as "
                        + read + "×" + read + " pixels of level " + level + " and shrunk; convert it to a pyramidal "
                        + "TIFF (e.g. 'vips tiffsave in.tif out.tif --tile --pyramid --compression jpeg') or ask for "
                        + "a finer --target-mpp");
            }
            SlideThumbnail thumb = SlideThumbnail.of(slide, tiling.thumbnailSide());
            double tileInThumb = side / thumb.scale();
            int objectArea = (int) Math.max(1, Math.round(tileInThumb * tileInThumb));
            TissueMask mask = TissueMask.detect(thumb.rgb(), thumb.width(), thumb.height(), tiling.minSaturation(),
                    objectArea, objectArea);
            int nx = (int) Math.floor((w - side) / stride) + 1;
            int ny = (int) Math.floor((h - side) / stride) + 1;
            List<long[]> tissue = new ArrayList<>();
            for (int gy = 0; gy < ny; gy++) {
                for (int gx = 0; gx < nx; gx++) {
                    long x = Math.round(gx * stride);
                    long y = Math.round(gy * stride);
                    double s = thumb.scale();
                    if (mask.tissueFraction(x / s, y / s, (x + side) / s, (y + side) / s) >= tiling.minTissue()) {
                        tissue.add(new long[]{x, y});
                    }
                }
            }
            if (tissue.isEmpty()) {
                throw new SourceDataException(file, String.format(java.util.Locale.ROOT, "no tissue found: no tile "
                        + "of its %d is %.0f %% tissue (tissue: %.1f %% of the thumbnail, saturation threshold %.3f); "
                        + "if the slide does hold tissue, lower --min-saturation or --min-tissue, else leave it out",
                        nx * ny, 100 * tiling.minTissue(), 100 * mask.tissueFraction(), mask.threshold()));
            }
            List<long[]> kept = SeededSubset.of(tissue, tiling.maxTilesPerSlide(), tiling.seed(), id);
            return new SlidePlan(file, w, h, mpp, side, level,
                    mask.tissueFraction(), mask.threshold(), nx * ny, tissue.size(), List.copyOf(kept));
        }
    }

    private static double resolution(Slide slide, SlideTiling tiling) {
        Optional<double[]> own = slide.micronsPerPixel();
        if (own.isPresent()) {
            return own.get()[0];
        }
        if (tiling.slideMpp() != null) {
            return tiling.slideMpp();
        }
        if (tiling.targetMpp() == null) {
            return Double.NaN;
        }
        throw new SourceDataException(slide.file(), "does not say its resolution (no openslide.mpp-x, no TIFF "
                + "resolution in cm or inches), so --target-mpp cannot be met; give its level-0 resolution with "
                + "--slide-mpp (e.g. 0.25 for a 40× scan, 0.5 for 20×), or tile its level-0 pixels as they are by "
                + "leaving out --target-mpp");
    }
}
