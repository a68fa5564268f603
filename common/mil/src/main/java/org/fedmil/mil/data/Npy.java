package org.fedmil.mil.data;

import org.fedmil.util.AtomicFiles;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads and writes the 2-D float matrices of NumPy's .npy format
 * (https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html), which is what a hospital's
 * feature-extraction pipeline most likely already produces.
 *
 * <p>Only what bag features need is supported: little-endian float32 (float64 is narrowed on read), C order,
 * exactly two dimensions. Anything else is refused rather than guessed at, because a silently transposed or
 * byte-swapped matrix would train a model on garbage without any error.
 */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    /** numpy aligns the start of the data to this, so that the data can be memory-mapped. */
    private static final int ARRAY_ALIGN = 64;
    /** numpy leaves room for the first axis to grow to this many digits, so a header can be rewritten in place. */
    private static final int GROWTH_AXIS_MAX_DIGITS = 21;
    /** numpy itself refuses larger headers unless told otherwise; a 2-D float header is about 128 bytes. */
    private static final int MAX_HEADER_BYTES = 64 * 1024;
    private static final int CHUNK_BYTES = 1 << 20;
    private static final String CONVERT_HINT =
            "save the features with numpy.save(path, numpy.ascontiguousarray(features, dtype=numpy.float32))";

    /** A row-major matrix read from or written to a .npy file. */
    public record Matrix(int rows, int cols, float[] data) {
        public Matrix {
            Objects.requireNonNull(data, "data");
            if (rows < 0 || cols < 0 || (long) rows * cols != data.length) {
                throw new IllegalArgumentException("shape (" + rows + ", " + cols + ") does not match "
                        + data.length + " values");
            }
        }
    }

    private Npy() {
    }

    /**
     * Reads a 2-D float matrix. The data is streamed through a bounded buffer, so reading needs no memory beyond
     * the returned matrix.
     *
     * @throws BagDataException naming the file, if it is missing, unreadable or not a supported .npy matrix
     */
    public static Matrix read(Path file) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            return read(file, channel);
        } catch (NoSuchFileException e) {
            throw new BagDataException(file, "file not found", e);
        } catch (EOFException e) {
            throw new BagDataException(file, "file ends inside the .npy header; the file is truncated", e);
        } catch (java.nio.file.AccessDeniedException e) {
            throw new BagDataException(file, org.fedmil.util.Unreadable.reason(e), e);
        } catch (IOException e) {
            throw new BagDataException(file, "cannot read: " + e, e);
        }
    }

    private static Matrix read(Path file, FileChannel channel) throws IOException {
        ByteBuffer preamble = readFully(channel, MAGIC.length + 2);
        for (int i = 0; i < MAGIC.length; i++) {
            if (preamble.get(i) != MAGIC[i]) {
                throw new BagDataException(file, "not a .npy file (it does not start with \\x93NUMPY); "
                        + CONVERT_HINT);
            }
        }
        int major = Byte.toUnsignedInt(preamble.get(MAGIC.length));
        int minor = Byte.toUnsignedInt(preamble.get(MAGIC.length + 1));
        int lengthBytes;
        Charset headerCharset;
        if (major == 1) {
            lengthBytes = 2;
            headerCharset = StandardCharsets.ISO_8859_1;
        } else if (major == 2) {
            lengthBytes = 4;
            headerCharset = StandardCharsets.ISO_8859_1;
        } else if (major == 3) {
            lengthBytes = 4;
            headerCharset = StandardCharsets.UTF_8;
        } else {
            throw new BagDataException(file, ".npy format version " + major + "." + minor
                    + " is not supported (1.0, 2.0 and 3.0 are); " + CONVERT_HINT);
        }
        ByteBuffer lengthBuffer = readFully(channel, lengthBytes);
        long headerLength = lengthBytes == 2 ? Short.toUnsignedInt(lengthBuffer.getShort(0))
                : Integer.toUnsignedLong(lengthBuffer.getInt(0));
        if (headerLength > MAX_HEADER_BYTES) {
            throw new BagDataException(file, ".npy header claims " + headerLength + " bytes (limit "
                    + MAX_HEADER_BYTES + "); the file is corrupt or not a plain array");
        }
        ByteBuffer headerBuffer = readFully(channel, (int) headerLength);
        String header = new String(headerBuffer.array(), 0, (int) headerLength, headerCharset);
        Header parsed = Header.parse(file, header);

        long dataOffset = MAGIC.length + 2L + lengthBytes + headerLength;
        long expected = parsed.rows * parsed.cols * parsed.itemSize;
        long actual = channel.size() - dataOffset;
        if (actual < expected) {
            throw new BagDataException(file, "holds " + actual + " bytes of data but shape (" + parsed.rows + ", "
                    + parsed.cols + ") of " + parsed.descr + " needs " + expected
                    + "; the file is truncated (interrupted copy?), copy it again");
        }
        if (actual > expected) {
            throw new BagDataException(file, "has " + (actual - expected) + " unexpected bytes after the "
                    + parsed.rows + "×" + parsed.cols + " " + parsed.descr
                    + " data (several arrays in one file?); save one matrix per bag file");
        }
        float[] data = new float[(int) (parsed.rows * parsed.cols)];
        readData(channel, dataOffset, parsed.itemSize, data);
        return new Matrix((int) parsed.rows, (int) parsed.cols, data);
    }

    private static void readData(FileChannel channel, long offset, int itemSize, float[] data) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocateDirect(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long position = offset;
        int done = 0;
        while (done < data.length) {
            int items = Math.min(data.length - done, CHUNK_BYTES / itemSize);
            buffer.clear().limit(items * itemSize);
            while (buffer.hasRemaining()) {
                int n = channel.read(buffer, position);
                if (n < 0) {
                    throw new EOFException();
                }
                position += n;
            }
            buffer.flip();
            if (itemSize == Float.BYTES) {
                buffer.asFloatBuffer().get(data, done, items);
            } else {
                for (int i = 0; i < items; i++) {
                    data[done + i] = (float) buffer.getDouble(i * Double.BYTES);
                }
            }
            done += items;
        }
    }

    private static ByteBuffer readFully(FileChannel channel, int n) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer) < 0) {
                throw new EOFException();
            }
        }
        return buffer;
    }

    /** Writes a float32 matrix atomically, so a crash never leaves a truncated file behind. */
    public static void write(Path file, Matrix matrix) throws IOException {
        AtomicFiles.write(file, out -> write(out, matrix));
    }

    /** Writes a float32 matrix exactly as {@code numpy.save} (format 1.0, C order) would. */
    public static void write(OutputStream out, Matrix matrix) throws IOException {
        out.write(header(matrix.rows(), matrix.cols()));
        float[] data = matrix.data();
        ByteBuffer buffer = ByteBuffer.allocate(CHUNK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        int done = 0;
        while (done < data.length) {
            int items = Math.min(data.length - done, CHUNK_BYTES / Float.BYTES);
            buffer.clear();
            buffer.asFloatBuffer().put(data, done, items);
            out.write(buffer.array(), 0, items * Float.BYTES);
            done += items;
        }
    }

    /** The preamble and header numpy writes for a C-order float32 matrix, padding and all. */
    static byte[] header(int rows, int cols) {
        StringBuilder dict = new StringBuilder()
                .append("{'descr': '<f4', 'fortran_order': False, 'shape': (")
                .append(rows).append(", ").append(cols).append("), }");
        dict.append(" ".repeat(GROWTH_AXIS_MAX_DIGITS - Integer.toString(rows).length()));
        int withNewline = dict.length() + 1;
        // numpy pads by a full ARRAY_ALIGN when already aligned; copied so the bytes match numpy.save.
        int pad = ARRAY_ALIGN - ((MAGIC.length + 2 + 2 + withNewline) % ARRAY_ALIGN);
        dict.append(" ".repeat(pad)).append('\n');
        byte[] text = dict.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer header = ByteBuffer.allocate(MAGIC.length + 2 + 2 + text.length).order(ByteOrder.LITTLE_ENDIAN);
        header.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length).put(text);
        return header.array();
    }

    /** The fields of a header this reader accepts. */
    private record Header(String descr, int itemSize, long rows, long cols) {

        static Header parse(Path file, String text) {
            Map<String, Object> dict;
            try {
                dict = new NpyLiteral(text).parseHeader();
            } catch (IllegalArgumentException e) {
                throw new BagDataException(file, "unreadable .npy header " + quoted(text) + ": " + e.getMessage());
            }
            Object descr = require(file, dict, "descr");
            Object fortran = require(file, dict, "fortran_order");
            Object shape = require(file, dict, "shape");

            int itemSize;
            if ("<f4".equals(descr)) {
                itemSize = Float.BYTES;
            } else if ("<f8".equals(descr)) {
                itemSize = Double.BYTES;
            } else if (descr instanceof String s && (s.equals(">f4") || s.equals(">f8"))) {
                throw new BagDataException(file, "data type " + s + " is big-endian; only little-endian float32 "
                        + "(<f4) or float64 (<f8) is accepted; " + CONVERT_HINT);
            } else {
                throw new BagDataException(file, "data type " + (descr instanceof String ? descr : "(structured)")
                        + " is not supported; only float32 (<f4) or float64 (<f8) is accepted; " + CONVERT_HINT);
            }
            if (!(fortran instanceof Boolean)) {
                throw new BagDataException(file, "header field 'fortran_order' must be True or False, got "
                        + fortran);
            }
            if ((Boolean) fortran) {
                throw new BagDataException(file, "the matrix is stored in Fortran (column-major) order, which is "
                        + "not supported; " + CONVERT_HINT);
            }
            if (!(shape instanceof List<?> dims) || !dims.stream().allMatch(d -> d instanceof Long)) {
                throw new BagDataException(file, "header field 'shape' must be a tuple of integers, got " + shape);
            }
            if (dims.size() != 2) {
                throw new BagDataException(file, "the array has " + dims.size() + " dimension(s), shape "
                        + pythonTuple(dims) + "; a bag needs a 2-D matrix (instances, features). For a single "
                        + "instance use features.reshape(1, -1)");
            }
            long rows = (Long) dims.get(0);
            long cols = (Long) dims.get(1);
            if (rows < 0 || cols < 0) {
                throw new BagDataException(file, "negative shape " + pythonTuple(dims));
            }
            if (rows > Integer.MAX_VALUE || cols > Integer.MAX_VALUE || rows * cols > Integer.MAX_VALUE - 8) {
                throw new BagDataException(file, "shape " + pythonTuple(dims) + " holds more than 2^31 values; "
                        + "split the bag or reduce the feature dimension");
            }
            return new Header((String) descr, itemSize, rows, cols);
        }

        private static Object require(Path file, Map<String, Object> dict, String key) {
            if (!dict.containsKey(key)) {
                throw new BagDataException(file, ".npy header lacks the '" + key + "' field; " + CONVERT_HINT);
            }
            return dict.get(key);
        }

        private static String pythonTuple(List<?> dims) {
            StringBuilder s = new StringBuilder("(");
            for (int i = 0; i < dims.size(); i++) {
                s.append(i == 0 ? "" : ", ").append(dims.get(i));
            }
            return s.append(dims.size() == 1 ? ",)" : ")").toString();
        }

        private static String quoted(String text) {
            String t = text.strip();
            return "\"" + (t.length() > 200 ? t.substring(0, 200) + "…" : t) + "\"";
        }
    }
}
