package org.fedmil.mil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyTest {

    @TempDir
    Path tmp;

    private static final float[] VALUES = {0f, 1.5f, -2.25f, 3f, 4e-3f, 5f, 6f, 7f, 8f, 9f, 10f, -1e30f};

    /** A .npy file as numpy builds it: magic, version, little-endian header length, header text, data. */
    static byte[] npy(int major, String header, byte[] data) {
        byte[] text = header.getBytes(major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        int lengthBytes = major == 1 ? 2 : 4;
        ByteBuffer b = ByteBuffer.allocate(8 + lengthBytes + text.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (lengthBytes == 2) {
            b.putShort((short) text.length);
        } else {
            b.putInt(text.length);
        }
        return b.put(text).put(data).array();
    }

    /** Pads a header dict the way numpy does: spaces then '\n' so that the data starts 64-byte aligned. */
    static String padded(String dict, int preambleBytes) {
        StringBuilder s = new StringBuilder(dict);
        while ((preambleBytes + s.length() + 1) % 64 != 0) {
            s.append(' ');
        }
        return s.append('\n').toString();
    }

    static byte[] f4(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    private Path file(String name, byte[] bytes) throws IOException {
        return Files.write(tmp.resolve(name), bytes);
    }

    @Test
    void writesByteForByteWhatNumpySaveWrites() throws IOException {
        // numpy.save(f, numpy.arange(12, dtype='<f4').reshape(3, 4) ...) with numpy >= 1.23: 21-digit growth room
        // for axis 0 (20 spaces after "3"), then padding to the next 64-byte boundary, header length 118.
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }" + " ".repeat(20);
        header = padded(header, 10);
        byte[] expected = npy(1, header, f4(VALUES));
        assertThat(header).hasSize(118);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Npy.write(out, new Npy.Matrix(3, 4, VALUES));

        assertThat(out.toByteArray()).isEqualTo(expected);
        assertThat(Npy.header(3, 4).length % 64).isZero();
    }

    @Test
    void roundTripsThroughAFile() throws IOException {
        Path f = tmp.resolve("bag.npy");
        Npy.write(f, new Npy.Matrix(4, 3, VALUES));

        Npy.Matrix m = Npy.read(f);

        assertThat(m.rows()).isEqualTo(4);
        assertThat(m.cols()).isEqualTo(3);
        assertThat(m.data()).containsExactly(VALUES);
    }

    @Test
    void roundTripsAMatrixLargerThanTheReadBuffer() throws IOException {
        float[] big = new float[700_001 * 2];
        for (int i = 0; i < big.length; i++) {
            big[i] = i * 0.5f;
        }
        Path f = tmp.resolve("big.npy");
        Npy.write(f, new Npy.Matrix(700_001, 2, big));

        assertThat(Npy.read(f).data()).isEqualTo(big);
    }

    @Test
    void readsVersion2And3Headers() throws IOException {
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
        Path v2 = file("v2.npy", npy(2, padded(dict, 12), f4(VALUES)));
        Path v3 = file("v3.npy", npy(3, padded(dict, 12), f4(VALUES)));

        assertThat(Npy.read(v2).data()).containsExactly(VALUES);
        assertThat(Npy.read(v3).data()).containsExactly(VALUES);
    }

    @Test
    void readsHeadersOfOlderWritersAndOtherKeyOrders() throws IOException {
        // Old numpy aligned to 16 bytes and had no growth padding; other writers use double quotes and Python 2
        // wrote long integers with an L suffix.
        Path old = file("old.npy", npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }    \n",
                f4(VALUES)));
        Path quoted = file("quoted.npy", npy(1, "{\"shape\": (3L, 4L), \"fortran_order\": False, \"descr\": \"<f4\"}\n",
                f4(VALUES)));

        assertThat(Npy.read(old).data()).containsExactly(VALUES);
        assertThat(Npy.read(quoted).rows()).isEqualTo(3);
        assertThat(Npy.read(quoted).data()).containsExactly(VALUES);
    }

    @Test
    void readsFloat64NarrowingToFloat32() throws IOException {
        ByteBuffer data = ByteBuffer.allocate(6 * 8).order(ByteOrder.LITTLE_ENDIAN);
        double[] values = {0.1, -2.5, 1e300, 3, 4, 5};
        for (double v : values) {
            data.putDouble(v);
        }
        Path f = file("f8.npy", npy(1, padded("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), }", 10),
                data.array()));

        float[] read = Npy.read(f).data();

        assertThat(read).containsExactly(0.1f, -2.5f, Float.POSITIVE_INFINITY, 3f, 4f, 5f);
    }

    @Test
    void readsAnEmptyMatrix() throws IOException {
        Path f = file("empty.npy", npy(1, padded("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 8), }", 10),
                new byte[0]));

        assertThat(Npy.read(f).rows()).isZero();
        assertThat(Npy.read(f).cols()).isEqualTo(8);
    }

    private void assertRefused(String name, byte[] bytes, String... messageParts) throws IOException {
        Path f = file(name, bytes);
        assertThatThrownBy(() -> Npy.read(f))
                .isInstanceOf(BagDataException.class)
                .hasMessageContaining(f.toString())
                .hasMessageContainingAll(messageParts)
                .satisfies(e -> assertThat(((BagDataException) e).file()).contains(f));
    }

    private static byte[] withHeader(String dict, byte[] data) {
        return npy(1, padded(dict, 10), data);
    }

    @Test
    void refusesFortranOrder() throws IOException {
        assertRefused("fortran.npy", withHeader("{'descr': '<f4', 'fortran_order': True, 'shape': (3, 4), }",
                f4(VALUES)), "Fortran", "ascontiguousarray");
    }

    @Test
    void refusesOtherDtypes() throws IOException {
        assertRefused("int.npy", withHeader("{'descr': '<i4', 'fortran_order': False, 'shape': (3, 4), }",
                f4(VALUES)), "<i4", "float32");
        assertRefused("half.npy", withHeader("{'descr': '<f2', 'fortran_order': False, 'shape': (2, 2), }",
                new byte[8]), "<f2");
        assertRefused("structured.npy", withHeader(
                "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (3, 4), }", f4(VALUES)), "structured");
    }

    @Test
    void refusesBigEndian() throws IOException {
        assertRefused("be.npy", withHeader("{'descr': '>f4', 'fortran_order': False, 'shape': (3, 4), }",
                f4(VALUES)), ">f4", "big-endian");
    }

    @Test
    void refusesShapesThatAreNotTwoDimensional() throws IOException {
        assertRefused("1d.npy", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (12,), }",
                f4(VALUES)), "1 dimension", "(12,)", "reshape(1, -1)");
        assertRefused("3d.npy", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3, 2), }",
                f4(VALUES)), "3 dimension", "(2, 3, 2)");
        assertRefused("0d.npy", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (), }",
                f4(1f)), "0 dimension");
    }

    @Test
    void refusesTruncatedData() throws IOException {
        byte[] full = withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", f4(VALUES));
        assertRefused("short.npy", Arrays.copyOf(full, full.length - 5), "truncated", "needs 48");
    }

    @Test
    void refusesTruncatedHeader() throws IOException {
        byte[] full = withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", f4(VALUES));
        assertRefused("cut.npy", Arrays.copyOf(full, 30), "truncated");
    }

    @Test
    void refusesTrailingBytes() throws IOException {
        byte[] full = withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", f4(VALUES));
        assertRefused("long.npy", Arrays.copyOf(full, full.length + 4), "4 unexpected bytes");
    }

    @Test
    void refusesBadMagic() throws IOException {
        assertRefused("features.csv.npy", "0.1,0.2,0.3\n0.4,0.5,0.6\n".getBytes(StandardCharsets.US_ASCII),
                "not a .npy file");
    }

    @Test
    void refusesUnknownFormatVersion() throws IOException {
        byte[] bytes = withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }", f4(VALUES));
        bytes[6] = 4;
        assertRefused("v4.npy", bytes, "version 4.0");
    }

    @Test
    void refusesMalformedHeaders() throws IOException {
        assertRefused("garbled.npy", withHeader("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4)",
                f4(VALUES)), "unreadable .npy header");
        assertRefused("noshape.npy", withHeader("{'descr': '<f4', 'fortran_order': False}", f4(VALUES)),
                "lacks the 'shape' field");
    }

    @Test
    void reportsAMissingFile() {
        Path f = tmp.resolve("nope.npy");
        assertThatThrownBy(() -> Npy.read(f)).isInstanceOf(BagDataException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("not found");
    }
}
