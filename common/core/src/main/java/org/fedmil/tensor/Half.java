package org.fedmil.tensor;

/**
 * float ↔ IEEE 754 binary16, because Java 17 has no {@code Float.floatToFloat16}. Rounds to nearest, ties to
 * even, as the hardware conversions (and PyTorch's .half()) do; overflow goes to ±infinity, which a delta's
 * content check then refuses.
 */
final class Half {

    private Half() {
    }

    static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exp == 0xff) { // inf or NaN: keep NaN a NaN
            return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 : 0));
        }
        int e = exp - 127 + 15;
        if (e >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (e <= 0) {
            if (e < -10) {
                return (short) sign; // below half the smallest subnormal: ±0
            }
            // subnormal: shift the mantissa (with its implicit 1) into place, rounding to nearest even
            int m = mantissa | 0x800000;
            int shift = 14 - e;
            int half = m >>> shift;
            int rest = m & ((1 << shift) - 1);
            int halfway = 1 << (shift - 1);
            if (rest > halfway || (rest == halfway && (half & 1) == 1)) {
                half++;
            }
            return (short) (sign | half);
        }
        int half = (e << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1fff;
        if (rest > 0x1000 || (rest == 0x1000 && (half & 1) == 1)) {
            half++; // may carry into the exponent, up to infinity: that is the correct rounding
        }
        return (short) (sign | half);
    }

    static float toFloat(short h) {
        int bits = h & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exp = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exp == 0) {
            // ±0 or subnormal: mantissa × 2⁻²⁴
            float v = mantissa * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mantissa << 13));
    }
}
