package org.fedmil.data.fmnist;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.Adler32;
import java.util.zip.CRC32;

/**
 * A minimal PNG encoder for 8-bit greyscale images whose bytes depend only on the pixels: the image data is
 * zlib-"stored" (uncompressed) rather than deflated, because deflate output may differ between zlib builds
 * and the generated data must be byte-identical on every machine. A 28 × 28 tile is 880 bytes.
 */
public final class GreyPng {

    private static final byte[] SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final int MAX_STORED_BLOCK = 65535;

    private GreyPng() {
    }

    /** PNG bytes of a w × h greyscale image read from {@code pixels} starting at {@code offset}, row by row. */
    public static byte[] encode(int w, int h, byte[] pixels, int offset) {
        // Raw scanlines: filter type 0 (none), then the row.
        byte[] raw = new byte[h * (w + 1)];
        for (int y = 0; y < h; y++) {
            System.arraycopy(pixels, offset + y * w, raw, y * (w + 1) + 1, w);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(raw.length + 128);
        out.writeBytes(SIGNATURE);
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h)
                .put((byte) 8)   // bit depth
                .put((byte) 0)   // colour type: greyscale
                .put((byte) 0)   // compression: deflate
                .put((byte) 0)   // filter method
                .put((byte) 0);  // no interlace
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IDAT", zlibStored(raw));
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static byte[] zlibStored(byte[] data) {
        int blocks = Math.max(1, (data.length + MAX_STORED_BLOCK - 1) / MAX_STORED_BLOCK);
        ByteBuffer z = ByteBuffer.allocate(2 + data.length + 5 * blocks + 4);
        z.put((byte) 0x78).put((byte) 0x01); // deflate, 32K window, no dictionary; header check bits valid
        int done = 0;
        for (int b = 0; b < blocks; b++) {
            int len = Math.min(MAX_STORED_BLOCK, data.length - done);
            z.put((byte) (b == blocks - 1 ? 1 : 0)); // BFINAL, BTYPE 00 = stored
            z.put((byte) len).put((byte) (len >>> 8));
            z.put((byte) ~len).put((byte) (~len >>> 8));
            z.put(data, done, len);
            done += len;
        }
        Adler32 adler = new Adler32();
        adler.update(data);
        z.putInt((int) adler.getValue());
        return z.array();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
