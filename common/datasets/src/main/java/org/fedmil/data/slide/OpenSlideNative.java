package org.fedmil.data.slide;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.LongByReference;

/**
 * The C API of OpenSlide 3.4+ (Debian's {@code libopenslide0}), reached through JNA. Only {@link Slide} calls it.
 * An {@code openslide_t*} is a {@link Pointer}; strings are UTF-8.
 */
interface OpenSlideNative extends Library {

    String openslide_get_version();

    String openslide_detect_vendor(String filename);

    Pointer openslide_open(String filename);

    String openslide_get_error(Pointer osr);

    int openslide_get_level_count(Pointer osr);

    void openslide_get_level_dimensions(Pointer osr, int level, LongByReference w, LongByReference h);

    double openslide_get_level_downsample(Pointer osr, int level);

    /** Premultiplied ARGB, one int per pixel, row by row; pixels outside the slide are transparent (0). */
    void openslide_read_region(Pointer osr, int[] dest, long x, long y, int level, long w, long h);

    Pointer openslide_get_property_names(Pointer osr);

    String openslide_get_property_value(Pointer osr, String name);

    void openslide_close(Pointer osr);

    /** The library, loaded once; a missing one is explained, with the install step. */
    final class Holder {

        private static volatile OpenSlideNative library;

        private Holder() {
        }

        static OpenSlideNative get() {
            OpenSlideNative l = library;
            if (l == null) {
                synchronized (Holder.class) {
                    l = library;
                    if (l == null) {
                        try {
                            l = Native.load(System.getProperty("fedmil.openslide.library", "openslide"),
                                    OpenSlideNative.class);
                        } catch (UnsatisfiedLinkError e) {
                            throw new OpenSlideMissingException(e);
                        }
                        library = l;
                    }
                }
            }
            return l;
        }
    }
}
