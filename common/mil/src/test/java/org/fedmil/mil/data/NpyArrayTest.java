package org.fedmil.mil.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** N-dimensional .npy arrays and .npz archives of them, as image data sets are shipped. */
class NpyArrayTest {

    @TempDir
    Path tmp;

    private static NpyArray uint8(long[] shape, int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length);
        for (int v : values) {
            b.put((byte) v);
        }
        return new NpyArray("test", "|u1", shape, b.flip());
    }

    private static NpyArray int64(long... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return new NpyArray("test", "<i8", new long[] {values.length}, b.flip());
    }

    private static byte[] bytes(NpyArray a) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        a.writeTo(out);
        return out.toByteArray();
    }

    private Path npz(String name, int method, Object... namesAndArrays) throws IOException {
        Path file = tmp.resolve(name);
        try (OutputStream os = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(os)) {
            zip.setMethod(method);
            for (int i = 0; i < namesAndArrays.length; i += 2) {
                byte[] b = bytes((NpyArray) namesAndArrays[i + 1]);
                ZipEntry e = new ZipEntry(namesAndArrays[i] + ".npy");
                if (method == ZipOutputStream.STORED) {
                    java.util.zip.CRC32 crc = new java.util.zip.CRC32();
                    crc.update(b);
                    e.setSize(b.length);
                    e.setCrc(crc.getValue());
                }
                zip.putNextEntry(e);
                zip.write(b);
                zip.closeEntry();
            }
        }
        return file;
    }

    @Test
    void a3dUint8ArrayReadsBackWithItsShapeAndValuesInCOrder() throws IOException {
        Path file = Files.write(tmp.resolve("x.npy"), bytes(uint8(new long[] {2, 3, 2}, 0, 1, 2, 3, 4, 5, 6, 7, 8,
                9, 10, 255)));

        NpyArray a = NpyArray.read(file);

        assertThat(a.shape()).containsExactly(2, 3, 2);
        assertThat(a.typeName()).isEqualTo("uint8");
        assertThat(a.isInteger()).isTrue();
        assertThat(a.count()).isEqualTo(12);
        assertThat(a.get(7)).isEqualTo(7.0);
        assertThat(a.get(11)).isEqualTo(255.0);
    }

    @Test
    void writtenHeaderMatchesNumpyAlignment() throws IOException {
        byte[] b = bytes(int64(1, 2, 3));

        int headerLength = (b[8] & 0xFF) | (b[9] & 0xFF) << 8;
        assertThat((10 + headerLength) % 64).isZero();
        assertThat(b.length).isEqualTo(10 + headerLength + 24);
    }

    @Test
    void npzArraysAreReadByNameWhetherStoredOrDeflated() throws IOException {
        for (int method : new int[] {ZipOutputStream.STORED, ZipOutputStream.DEFLATED}) {
            Path file = npz("d" + method + ".npz", method, "images", uint8(new long[] {1, 2, 2}, 1, 2, 3, 4),
                    "labels", int64(7));

            assertThat(Npz.names(file)).containsExactly("images", "labels");
            assertThat(Npz.read(file, "labels").get(0)).isEqualTo(7.0);
            assertThat(Npz.read(file, "images").shape()).containsExactly(1, 2, 2);
            assertThat(Npz.read(file, "images").source()).endsWith("[images]");
        }
    }

    @Test
    void aMissingNpzArrayIsNamedWithTheArraysThatExist() throws IOException {
        Path file = npz("a.npz", ZipOutputStream.DEFLATED, "x_train", int64(1), "y_train", int64(0));

        assertThatThrownBy(() -> Npz.read(file, "labels"))
                .isInstanceOf(BagDataException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("no array named 'labels'")
                .hasMessageContaining("[x_train, y_train]");
    }

    @Test
    void aFileThatIsNotAZipIsRefusedAsNpz() throws IOException {
        Path file = Files.write(tmp.resolve("b.npz"), bytes(int64(1)));

        assertThatThrownBy(() -> Npz.read(file, "x")).isInstanceOf(BagDataException.class)
                .hasMessageContaining("not an .npz file");
    }

    @Test
    void bigEndianFortranStringAndTruncatedArraysAreRefusedNamingTheFile() throws IOException {
        Path big = Files.write(tmp.resolve("big.npy"), NpyTest.npy(1, NpyTest.padded(
                "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", 10), new byte[4]));
        Path fortran = Files.write(tmp.resolve("f.npy"), NpyTest.npy(1, NpyTest.padded(
                "{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1), }", 10), new byte[4]));
        Path str = Files.write(tmp.resolve("s.npy"), NpyTest.npy(1, NpyTest.padded(
                "{'descr': '<U3', 'fortran_order': False, 'shape': (1,), }", 10), new byte[12]));
        byte[] whole = bytes(int64(1, 2, 3));
        Path cut = Files.write(tmp.resolve("cut.npy"), Arrays.copyOf(whole, whole.length - 5));

        assertThatThrownBy(() -> NpyArray.read(big)).hasMessageContaining(big.toString())
                .hasMessageContaining("big-endian");
        assertThatThrownBy(() -> NpyArray.read(fortran)).hasMessageContaining("Fortran");
        assertThatThrownBy(() -> NpyArray.read(str)).hasMessageContaining("<U3 is not supported");
        assertThatThrownBy(() -> NpyArray.read(cut)).hasMessageContaining(cut.toString())
                .hasMessageContaining("truncated");
    }
}
