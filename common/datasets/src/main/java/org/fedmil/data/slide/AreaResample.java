package org.fedmil.data.slide;

/**
 * Shrinks (or copies) an RGB image by area averaging: each output pixel is the mean of the source area it
 * covers, fractional edges weighted. Unlike bilinear sampling it does not alias at any ratio, which matters
 * when a slide's nearest level is up to 4× finer than the tile asked for.
 */
final class AreaResample {

    private AreaResample() {
    }

    /** {@code src} (sw × sh, 0xRRGGBB) → dw × dh; no enlarging: dw ≤ sw and dh ≤ sh. */
    static int[] rgb(int[] src, int sw, int sh, int dw, int dh) {
        if (dw > sw || dh > sh) {
            throw new IllegalArgumentException("area resampling only shrinks: " + sw + "×" + sh + " → " + dw + "×"
                    + dh);
        }
        if (dw == sw && dh == sh) {
            return src.clone();
        }
        float[][] rows = new float[3][dw * sh]; // horizontal pass
        double fx = (double) sw / dw;
        for (int y = 0; y < sh; y++) {
            for (int x = 0; x < dw; x++) {
                double a = x * fx;
                double b = a + fx;
                float[] acc = new float[3];
                for (int s = (int) a; s < Math.min(sw, (int) Math.ceil(b)); s++) {
                    double w = Math.min(b, s + 1) - Math.max(a, s);
                    int p = src[y * sw + s];
                    acc[0] += (float) (w * ((p >> 16) & 0xFF));
                    acc[1] += (float) (w * ((p >> 8) & 0xFF));
                    acc[2] += (float) (w * (p & 0xFF));
                }
                for (int c = 0; c < 3; c++) {
                    rows[c][y * dw + x] = (float) (acc[c] / fx);
                }
            }
        }
        int[] out = new int[dw * dh]; // vertical pass
        double fy = (double) sh / dh;
        for (int y = 0; y < dh; y++) {
            double a = y * fy;
            double b = a + fy;
            for (int x = 0; x < dw; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    double acc = 0;
                    for (int s = (int) a; s < Math.min(sh, (int) Math.ceil(b)); s++) {
                        acc += (Math.min(b, s + 1) - Math.max(a, s)) * rows[c][s * dw + x];
                    }
                    rgb = (rgb << 8) | (int) Math.min(255, Math.round(acc / fy));
                }
                out[y * dw + x] = rgb;
            }
        }
        return out;
    }
}
