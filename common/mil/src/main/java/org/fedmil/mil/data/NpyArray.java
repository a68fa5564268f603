package org.fedmil.mil.data;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An n-dimensional numeric array from a .npy file (or one entry of an .npz, see {@link Npz}), as image data sets
 * are stored: e.g. uint8 images {@code [N, H, W]} and int64 labels {@code [N]}. Unlike {@link Npy}, which reads
 * only the float matrices of bag features, any dimension count and the common numeric types are read; the values
 * stay in their stored bytes and are read one by one with {@link #get(long)}.
 *
 * <p>Refused rather than guessed at: big-endian data, Fortran order, structured, string and object arrays, and
 * arrays of more than 2 GiB of data.
 *
 * @param source where it came from, for messages: the file, or {@code file.npz[name]}
 * @param descr  the numpy type string, e.g. {@code |u1}, {@code <f4}, {@code <i8}
 * @param shape  the dimensions, C order
 */
public record NpyArray(String source, String descr, long[] shape, ByteBuffer data) {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    /** The type strings read, as numpy writes them for little-endian data (one-byte types use '|'). */
    private static final List<String> TYPES = List.of("|u1", "|i1", "|b1", "<u2", "<i2", "<u4", "<i4", "<u8",
            "<i8", "<f4", "<f8");

    public NpyArray {
        Objects.requireNonNull(source, "source");
        shape = shape.clone();
        data = data.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Reads a .npy file. */
    public static NpyArray read(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file, file.toString());
        } catch (NoSuchFileException e) {
            throw new BagDataException(file, "file not found", e);
        } catch (IOException e) {
            throw new BagDataException(file, "cannot read: " + e, e);
        }
    }

    /**
     * Reads one array from {@code in}; errors name {@code file} and describe the array as {@code source}.
     */
    static NpyArray read(InputStream stream, Path file, String source) throws IOException {
        DataInputStream in = new DataInputStream(stream);
        String what = source.equals(file.toString()) ? "" : source + ": ";
        try {
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new BagDataException(file, what + "not a .npy array (it does not start with \\x93NUMPY); "
                        + "save it with numpy.save or numpy.savez");
            }
            int major = in.readUnsignedByte();
            in.readUnsignedByte();
            long headerLength;
            if (major == 1) {
                headerLength = Short.toUnsignedInt(Short.reverseBytes(in.readShort()));
            } else if (major == 2 || major == 3) {
                headerLength = Integer.toUnsignedLong(Integer.reverseBytes(in.readInt()));
            } else {
                throw new BagDataException(file, what + ".npy format version " + major + " is not supported (1.0, "
                        + "2.0 and 3.0 are)");
            }
            if (headerLength > MAX_HEADER_BYTES) {
                throw new BagDataException(file, what + ".npy header claims " + headerLength + " bytes; the file is "
                        + "corrupt or not a plain array");
            }
            byte[] header = new byte[(int) headerLength];
            in.readFully(header);
            Header h = Header.parse(file, what, new String(header, major == 3 ? StandardCharsets.UTF_8
                    : StandardCharsets.ISO_8859_1));
            long bytes = h.count() * h.itemSize();
            ByteBuffer data = ByteBuffer.allocate((int) bytes);
            readData(in, data, file, what, h);
            if (in.read() >= 0) {
                throw new BagDataException(file, what + "has unexpected bytes after the " + shapeText(h.shape())
                        + " " + h.descr() + " data; the file is corrupt");
            }
            return new NpyArray(source, h.descr(), h.shape(), data.flip());
        } catch (EOFException e) {
            throw new BagDataException(file, what + "ends inside the .npy header; the file is truncated "
                    + "(interrupted copy?), copy it again", e);
        }
    }

    private static void readData(DataInputStream in, ByteBuffer data, Path file, String what, Header h)
            throws IOException {
        byte[] chunk = new byte[1 << 16];
        while (data.hasRemaining()) {
            int n = in.read(chunk, 0, Math.min(chunk.length, data.remaining()));
            if (n < 0) {
                throw new BagDataException(file, what + "holds " + data.position() + " bytes of data but shape "
                        + shapeText(h.shape()) + " of " + h.descr() + " needs " + data.capacity() + "; the file is "
                        + "truncated (interrupted copy?), copy it again");
            }
            data.put(chunk, 0, n);
        }
    }

    /**
     * Writes the array as {@code numpy.save} does (format 1.0, header padded so the data starts 64-byte aligned),
     * e.g. for an .npz entry or a test fixture.
     */
    public void writeTo(OutputStream out) throws IOException {
        StringBuilder dict = new StringBuilder("{'descr': '").append(descr).append("', 'fortran_order': False, "
                + "'shape': ").append(shapeText()).append(", }");
        while ((MAGIC.length + 4 + dict.length() + 1) % 64 != 0) {
            dict.append(' ');
        }
        byte[] text = dict.append('\n').toString().getBytes(StandardCharsets.ISO_8859_1);
        out.write(MAGIC);
        out.write(new byte[] {1, 0, (byte) text.length, (byte) (text.length >>> 8)});
        out.write(text);
        ByteBuffer d = data.duplicate();
        byte[] bytes = new byte[d.remaining()];
        d.get(bytes);
        out.write(bytes);
    }

    /** Number of values: the product of the shape. */
    public long count() {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        return n;
    }

    /** Whether the values are integers (or booleans) rather than floating point. */
    public boolean isInteger() {
        return descr.charAt(1) != 'f';
    }

    /** The numpy name of the type, e.g. uint8, float32, int64. */
    public String typeName() {
        int bits = 8 * itemSizeOf(descr);
        return switch (descr.charAt(1)) {
            case 'u' -> "uint" + bits;
            case 'i' -> "int" + bits;
            case 'b' -> "bool";
            default -> "float" + bits;
        };
    }

    /** Value {@code i} in C order, as a double (64-bit integers above 2^53 lose precision). */
    public double get(long i) {
        int at = Math.toIntExact(i * itemSizeOf(descr));
        return switch (descr) {
            case "|u1", "|b1" -> Byte.toUnsignedInt(data.get(at));
            case "|i1" -> data.get(at);
            case "<u2" -> Short.toUnsignedInt(data.getShort(at));
            case "<i2" -> data.getShort(at);
            case "<u4" -> Integer.toUnsignedLong(data.getInt(at));
            case "<i4" -> data.getInt(at);
            case "<u8" -> unsigned(data.getLong(at));
            case "<i8" -> data.getLong(at);
            case "<f4" -> data.getFloat(at);
            default -> data.getDouble(at);
        };
    }

    private static double unsigned(long v) {
        return v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
    }

    /** The shape as Python prints it: {@code (60000, 28, 28)}. */
    public String shapeText() {
        return shapeText(shape);
    }

    static String shapeText(long[] shape) {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return s.append(shape.length == 1 ? ",)" : ")").toString();
    }

    private static int itemSizeOf(String descr) {
        return Integer.parseInt(descr.substring(2));
    }

    private record Header(String descr, long[] shape, long count, int itemSize) {

        static Header parse(Path file, String what, String text) {
            Map<String, Object> dict;
            try {
                dict = new NpyLiteral(text).parseHeader();
            } catch (IllegalArgumentException e) {
                throw new BagDataException(file, what + "unreadable .npy header: " + e.getMessage());
            }
            Object descr = dict.get("descr");
            if (!(descr instanceof String d) || !TYPES.contains(normalised(d))) {
                String shown = descr instanceof String s ? s : "(structured)";
                String why = shown.startsWith(">") ? " is big-endian; save it little-endian, e.g. "
                        + "array.astype(array.dtype.newbyteorder('<'))" : " is not supported";
                throw new BagDataException(file, what + "data type " + shown + why + "; accepted are uint8, int8, "
                        + "bool, (u)int16/32/64, float32 and float64");
            }
            if (Boolean.TRUE.equals(dict.get("fortran_order"))) {
                throw new BagDataException(file, what + "the array is stored in Fortran (column-major) order, "
                        + "which is not supported; save numpy.ascontiguousarray(array)");
            }
            if (!(dict.get("shape") instanceof List<?> dims) || !dims.stream().allMatch(x -> x instanceof Long)) {
                throw new BagDataException(file, what + "header field 'shape' must be a tuple of integers, got "
                        + dict.get("shape"));
            }
            long[] shape = dims.stream().mapToLong(x -> (Long) x).toArray();
            String type = normalised(d);
            long count = 1;
            for (long x : shape) {
                if (x < 0) {
                    throw new BagDataException(file, what + "negative shape " + shapeText(shape));
                }
                count = Math.multiplyHigh(count, x) != 0 ? Long.MAX_VALUE : count * x;
            }
            int itemSize = itemSizeOf(type);
            if (count > (Integer.MAX_VALUE - 8) / itemSize) {
                throw new BagDataException(file, what + "shape " + shapeText(shape) + " of " + type + " holds more "
                        + "than 2 GiB of data; split it into several files");
            }
            return new Header(type, shape, count, itemSize);
        }

        /** numpy writes one-byte types with '|', but '<u1' and '=u1' mean the same. */
        private static String normalised(String d) {
            if (d.length() == 3 && d.endsWith("1") && (d.charAt(0) == '<' || d.charAt(0) == '=')) {
                return "|" + d.substring(1);
            }
            return d;
        }
    }
}
