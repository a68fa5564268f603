package org.fedmil.tensor;

import java.lang.reflect.Field;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * Folds a run of float32 values in {@link TensorCodec}'s wire form (little-endian) straight from the received bytes
 * into a float accumulator: {@code acc[j] += weight × value[j]}.
 *
 * <p>Why not a loop over {@link TensorCodec#floatAt}: HotSpot 17 does not vectorise loads through a byte-array
 * view {@code VarHandle}, so that loop ran at ~0.7× a plain {@code float[] += float[]} over the same values, while
 * the same loop reading with {@code sun.misc.Unsafe.getFloat} is vectorised and runs at the plain sum's speed
 * (docs/benchmarks.md, aggregation). {@code Unsafe} reads in the machine's byte order, so it is used only on
 * little-endian machines (x86-64, AArch64) and only when {@code jdk.unsupported} gives it out; anywhere else the
 * {@code VarHandle} loop runs. Both give the same floats bit for bit: Java float arithmetic is the same whether
 * the JIT vectorises it or not. The bounds are checked once per call, before any read.
 */
public final class WireFloats {

    private static final sun.misc.Unsafe UNSAFE = littleEndianUnsafe();
    private static final long BYTE_BASE = UNSAFE == null ? 0 : UNSAFE.arrayBaseOffset(byte[].class);

    private WireFloats() {
    }

    /**
     * {@code acc[j] += weight × (float at element from + j of bytes)} for every j of {@code acc}.
     *
     * @throws IndexOutOfBoundsException if {@code bytes} holds fewer than {@code from + acc.length} floats
     */
    public static void addScaled(float[] acc, byte[] bytes, int from, float weight) {
        checkRange(acc, bytes, from);
        if (UNSAFE != null) {
            addScaledUnchecked(acc, bytes, from, weight);
        } else {
            addScaledPortable(acc, bytes, from, weight);
        }
    }

    /**
     * {@code acc[accFrom + j] += weight × (float at element from + j of bytes)} for j in [0, count): a run of an update
     * read a piece at a time into one tensor's accumulator. The same floats as {@link #addScaled(float[], byte[], int,
     * float)} over the same values.
     *
     * @throws IndexOutOfBoundsException if either range lies outside its array
     */
    public static void addScaled(float[] acc, int accFrom, int count, byte[] bytes, int from, float weight) {
        Objects.checkFromIndexSize(accFrom, count, acc.length);
        Objects.checkFromIndexSize(from, count, bytes.length / 4);
        if (UNSAFE != null) {
            long base = BYTE_BASE + 4L * from;
            for (int j = 0; j < count; j++) {
                acc[accFrom + j] += weight * UNSAFE.getFloat(bytes, base + 4L * j);
            }
        } else {
            for (int j = 0; j < count; j++) {
                acc[accFrom + j] += weight * TensorCodec.floatAt(bytes, from + j);
            }
        }
    }

    /** Whether the vectorisable path is in use on this JVM (else the portable one). */
    public static boolean vectorised() {
        return UNSAFE != null;
    }

    /** The portable path, for machines without a little-endian {@code Unsafe}; also what the tests compare with. */
    static void addScaledPortable(float[] acc, byte[] bytes, int from, float weight) {
        checkRange(acc, bytes, from);
        for (int j = 0; j < acc.length; j++) {
            acc[j] += weight * TensorCodec.floatAt(bytes, from + j);
        }
    }

    // the caller has checked that [from, from + acc.length) floats lie inside bytes: Unsafe does not check
    private static void addScaledUnchecked(float[] acc, byte[] bytes, int from, float weight) {
        long base = BYTE_BASE + 4L * from;
        for (int j = 0; j < acc.length; j++) {
            acc[j] += weight * UNSAFE.getFloat(bytes, base + 4L * j);
        }
    }

    private static void checkRange(float[] acc, byte[] bytes, int from) {
        Objects.checkFromIndexSize(from, acc.length, bytes.length / 4);
    }

    private static sun.misc.Unsafe littleEndianUnsafe() {
        if (ByteOrder.nativeOrder() != ByteOrder.LITTLE_ENDIAN) {
            return null;
        }
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            sun.misc.Unsafe unsafe = (sun.misc.Unsafe) f.get(null);
            // byte arrays are addressed one byte per index on every HotSpot, but the loop relies on it: check
            return unsafe.arrayIndexScale(byte[].class) == 1 ? unsafe : null;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // a JVM without jdk.unsupported or one that refuses it: the portable loop is correct too
        }
    }
}
