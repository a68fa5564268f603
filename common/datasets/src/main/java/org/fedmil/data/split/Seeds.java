package org.fedmil.data.split;

/**
 * Independent seeds for the random streams of one generator run, so that e.g. changing the number of
 * held-out bags does not change the training bags. SplitMix64 finalisers; the result feeds
 * {@link java.util.Random}, whose algorithm (and hence output) the Java specification fixes on every JDK.
 */
public final class Seeds {

    private Seeds() {
    }

    /** A seed for stream {@code key} of the run with seed {@code seed}. */
    public static long derive(long seed, long key) {
        return mix(mix(seed ^ 0x6A09E667F3BCC909L) ^ mix(key + 0x9E3779B97F4A7C15L));
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
