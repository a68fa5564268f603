package org.fedmil.data.slide;

/** Which pyramid level to read for a given shrink factor. */
final class SlideLevels {

    /** Downsamples within this of the factor count as equal (scanners store 4.0003 for 4). */
    private static final double TOLERANCE = 1e-3;

    private SlideLevels() {
    }

    /** The coarsest level whose downsample is at most {@code factor} (level-0 pixels per output pixel). */
    static int coarsestAtMost(Slide slide, double factor) {
        int best = 0;
        for (int l = 1; l < slide.levelCount(); l++) {
            if (slide.downsample(l) <= factor * (1 + TOLERANCE) && slide.downsample(l) > slide.downsample(best)) {
                best = l;
            }
        }
        return best;
    }
}
