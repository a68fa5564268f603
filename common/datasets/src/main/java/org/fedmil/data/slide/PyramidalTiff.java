package org.fedmil.data.slide;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.Deflater;

/**
 * Writes a tiled, pyramidal, Deflate-compressed RGB TIFF that OpenSlide reads as a generic-TIFF slide: level 0
 * at {@code mpp} micrometres per pixel (in the TIFF's resolution tags, centimetre unit, from which OpenSlide
 * derives {@code openslide.mpp-x/-y}), then levels each half the size of the one before. Tests and benchmarks
 * make their slides with it; it streams a tile at a time, so a slide of any size costs one tile of memory.
 */
public final class PyramidalTiff {

    /** Where the pixels come from: level-0 RGB (0xRRGGBB) at a point. */
    public interface Canvas {
        int rgb(long x, long y);
    }

    private static final short BYTE_ORDER_LE = 0x4949;
    private static final int SHORT = 3;
    private static final int LONG = 4;
    private static final int RATIONAL = 5;
    private static final long MAX_OFFSET = 0xFFFF_FFFFL;

    private PyramidalTiff() {
    }

    /**
     * Writes {@code file} (atomically: a temporary file beside it, then a rename).
     *
     * @param levels   pyramid levels, each half the size of the one before (a level pixel samples the centre
     *                 of the level-0 pixels it covers)
     * @param tileSize TIFF tile side, a multiple of 16
     */
    public static void write(Path file, long width, long height, double mpp, int tileSize, int levels, Canvas canvas)
            throws IOException {
        if (tileSize % 16 != 0 || tileSize < 16) {
            throw new IllegalArgumentException("TIFF tiles must be a multiple of 16 pixels, got " + tileSize);
        }
        if (width < 1 || height < 1 || levels < 1 || mpp <= 0) {
            throw new IllegalArgumentException("a slide needs a positive size, resolution and level count");
        }
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE)) {
            ByteBuffer header = le(8).putShort(BYTE_ORDER_LE).putShort((short) 42).putInt(0);
            ch.write(header.flip(), 0);
            long pos = 8;
            long linkAt = 4; // where the offset of the next IFD goes
            for (int level = 0; level < levels; level++) {
                long step = 1L << level;
                long w = (width + step - 1) / step;
                long h = (height + step - 1) / step;
                List<long[]> tiles = new ArrayList<>();
                pos = writeTiles(ch, pos, w, h, step, tileSize, canvas, tiles);
                pos = (pos + 1) & ~1L; // IFDs start on a word boundary
                long ifd = pos;
                ch.write(le(4).putInt((int) ifd).flip(), linkAt);
                Ifd written = ifd(ifd, level, w, h, tileSize, mpp * step, tiles);
                ch.write(written.bytes(), ifd);
                linkAt = written.nextLinkAt();
                pos = ifd + written.size();
                if (pos > MAX_OFFSET) {
                    throw new IOException(file + ": over 4 GiB, more than a classic TIFF holds");
                }
            }
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static long writeTiles(FileChannel ch, long pos, long w, long h, long step, int t, Canvas canvas,
                                   List<long[]> tiles) throws IOException {
        byte[] raw = new byte[t * t * 3];
        byte[] packed = new byte[raw.length + raw.length / 100 + 64];
        Deflater deflater = new Deflater(Deflater.BEST_SPEED); // test slides: speed over size
        try {
            for (long ty = 0; ty < h; ty += t) {
                for (long tx = 0; tx < w; tx += t) {
                    int i = 0;
                    for (int y = 0; y < t; y++) {
                        for (int x = 0; x < t; x++) {
                            long lx = tx + x;
                            long ly = ty + y;
                            // beyond the edge a tile is padded white, as scanners do
                            int rgb = lx < w && ly < h ? canvas.rgb(lx * step + step / 2, ly * step + step / 2)
                                    : 0xFFFFFF;
                            raw[i++] = (byte) (rgb >> 16);
                            raw[i++] = (byte) (rgb >> 8);
                            raw[i++] = (byte) rgb;
                        }
                    }
                    deflater.reset();
                    deflater.setInput(raw);
                    deflater.finish();
                    int n = 0;
                    while (!deflater.finished()) {
                        if (n == packed.length) {
                            packed = java.util.Arrays.copyOf(packed, packed.length * 2);
                        }
                        n += deflater.deflate(packed, n, packed.length - n);
                    }
                    ch.write(ByteBuffer.wrap(packed, 0, n), pos);
                    tiles.add(new long[]{pos, n});
                    pos += n;
                }
            }
        } finally {
            deflater.end();
        }
        return pos;
    }

    private record Ifd(ByteBuffer bytes, long nextLinkAt, int size) {
    }

    /** An IFD at {@code at}, its out-of-line values right after its entries. */
    private static Ifd ifd(long at, int level, long w, long h, int t, double mpp, List<long[]> tiles) {
        int n = tiles.size();
        int entries = 15;
        int fixed = 2 + entries * 12 + 4;
        // out of line: BitsPerSample (6 bytes → 8), two RATIONALs (16), offsets and counts (n × 4 each, if n > 1)
        int extra = 8 + 16 + (n > 1 ? 8 * n : 0);
        ByteBuffer b = le(fixed + extra);
        long values = at + fixed;
        long bitsAt = values;
        long xResAt = bitsAt + 8;
        long yResAt = xResAt + 8;
        long offsetsAt = yResAt + 8;
        long countsAt = offsetsAt + 4L * n;
        b.putShort((short) entries);
        entry(b, 254, LONG, 1, level == 0 ? 0 : 1); // NewSubfileType: reduced-resolution image
        entry(b, 256, LONG, 1, w);
        entry(b, 257, LONG, 1, h);
        entry(b, 258, SHORT, 3, bitsAt);
        entry(b, 259, SHORT, 1, 8); // Adobe Deflate
        entry(b, 262, SHORT, 1, 2); // RGB
        entry(b, 277, SHORT, 1, 3);
        entry(b, 282, RATIONAL, 1, xResAt);
        entry(b, 283, RATIONAL, 1, yResAt);
        entry(b, 284, SHORT, 1, 1); // chunky
        entry(b, 296, SHORT, 1, 3); // centimetre
        entry(b, 322, LONG, 1, t);
        entry(b, 323, LONG, 1, t);
        entry(b, 324, LONG, n, n > 1 ? offsetsAt : tiles.get(0)[0]);
        entry(b, 325, LONG, n, n > 1 ? countsAt : tiles.get(0)[1]);
        int nextLink = b.position();
        b.putInt(0);
        b.putShort((short) 8).putShort((short) 8).putShort((short) 8).putShort((short) 0);
        long pixelsPerCm = Math.round(10_000.0 / mpp * 1000); // ×1000 keeps three decimals of the resolution
        for (int i = 0; i < 2; i++) {
            b.putInt((int) pixelsPerCm).putInt(1000);
        }
        if (n > 1) {
            tiles.forEach(tile -> b.putInt((int) tile[0]));
            tiles.forEach(tile -> b.putInt((int) tile[1]));
        }
        return new Ifd(b.flip(), at + nextLink, fixed + extra);
    }

    private static void entry(ByteBuffer b, int tag, int type, long count, long value) {
        b.putShort((short) tag).putShort((short) type).putInt((int) count);
        if (type == SHORT && count == 1) {
            b.putShort((short) value).putShort((short) 0);
        } else {
            b.putInt((int) value);
        }
    }

    private static ByteBuffer le(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }
}
