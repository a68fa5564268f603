package org.fedmil.data.slide;

/** The OpenSlide library is not installed (or not where the JVM looks): slides cannot be read on this machine. */
public final class OpenSlideMissingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    OpenSlideMissingException(UnsatisfiedLinkError cause) {
        super("whole-slide images are read with the OpenSlide library, which is not installed here ("
                + cause.getMessage() + "); on Debian or Ubuntu install it with 'sudo apt-get install libopenslide0' "
                + "(docs/site-guide.md, \"Whole-slide images\"), or point -Dfedmil.openslide.library at "
                + "libopenslide.so.0", cause);
    }
}
