package org.fedmil.data.slide;

import java.io.IOException;
import java.nio.file.Path;

/** Slides the tests make: H&E-like tissue (pink stroma, purple nuclei) in ellipses on near-white glass. */
final class TestSlides {

    /** An ellipse of tissue: centre and radii in level-0 pixels. */
    record Blob(long cx, long cy, long rx, long ry) {

        boolean contains(long x, long y) {
            double dx = (double) (x - cx) / rx;
            double dy = (double) (y - cy) / ry;
            return dx * dx + dy * dy <= 1;
        }
    }

    static final int GLASS = 0xF4F3F5;
    static final int STROMA = 0xE496C8;
    static final int NUCLEUS = 0x643C96;

    private TestSlides() {
    }

    static PyramidalTiff.Canvas canvas(Blob... blobs) {
        return (x, y) -> {
            for (Blob b : blobs) {
                if (b.contains(x, y)) {
                    return (x / 6 + y / 6) % 5 == 0 ? NUCLEUS : STROMA;
                }
            }
            return GLASS;
        };
    }

    static Path write(Path file, long w, long h, double mpp, int levels, Blob... blobs) throws IOException {
        PyramidalTiff.write(file, w, h, mpp, 256, levels, canvas(blobs));
        return file;
    }
}
