package org.fedmil.data.dicom;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.TreeMap;
import java.util.function.IntBinaryOperator;

/**
 * Writes small DICOM Part 10 files (explicit VR little endian) for tests: a CT-like slice or a multi-frame object
 * whose stored values are {@code (HU - intercept) / slope}, with the tags a series reader needs, and a patient name
 * that must never reach any output. Written by hand, byte by byte after PS3.5/PS3.10, so the tests do not trust
 * the reader under test to write what it reads.
 */
public final class TestDicom {

    public static final String PATIENT_NAME = "DOE^JANE";
    public static final String PATIENT_ID = "PID-0042";
    static final String EXPLICIT_LE = "1.2.840.10008.1.2.1";
    static final String JPEG_LOSSLESS = "1.2.840.10008.1.2.4.70";
    private static final String CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2";

    private String study = "1.2.826.0.1.3680043.2.1125.1";
    private String series = "1.2.826.0.1.3680043.2.1125.1.1";
    private String modality = "CT";
    private String transferSyntax = EXPLICIT_LE;
    private int instance = 1;
    private double z = 0;
    private boolean position = true;
    private int rows = 16;
    private int columns = 16;
    private int frames = 1;
    private double slope = 1;
    private double intercept = -1024;
    private String photometric = "MONOCHROME2";
    private IntBinaryOperator hu = (x, y) -> 0;

    public TestDicom study(String uid) { study = uid; return this; }
    public TestDicom series(String uid) { series = uid; return this; }
    public TestDicom modality(String m) { modality = m; return this; }
    public TestDicom transferSyntax(String uid) { transferSyntax = uid; return this; }
    public TestDicom instance(int n) { instance = n; return this; }
    public TestDicom z(double mm) { z = mm; return this; }
    public TestDicom noPosition() { position = false; return this; }
    public TestDicom size(int r, int c) { rows = r; columns = c; return this; }
    public TestDicom frames(int n) { frames = n; return this; }
    public TestDicom rescale(double s, double i) { slope = s; intercept = i; return this; }
    public TestDicom photometric(String p) { photometric = p; return this; }
    /** The value, in rescaled units (HU for CT), of every frame's pixel (x, y). */
    public TestDicom hu(IntBinaryOperator f) { hu = f; return this; }

    public Path write(Path file) throws IOException {
        String sop = series + "." + instance;
        TreeMap<Integer, byte[]> ds = new TreeMap<>(Integer::compareUnsigned);
        put(ds, 0x0008_0016, "UI", ui(CT_STORAGE));
        put(ds, 0x0008_0018, "UI", ui(sop));
        put(ds, 0x0008_0060, "CS", text(modality));
        put(ds, 0x0010_0010, "PN", text(PATIENT_NAME));
        put(ds, 0x0010_0020, "LO", text(PATIENT_ID));
        put(ds, 0x0020_000D, "UI", ui(study));
        put(ds, 0x0020_000E, "UI", ui(series));
        put(ds, 0x0020_0011, "IS", text("1"));
        put(ds, 0x0020_0013, "IS", text(Integer.toString(instance)));
        if (position) {
            put(ds, 0x0020_0032, "DS", text(String.format(Locale.ROOT, "-100\\-100\\%s", num(z))));
            put(ds, 0x0020_0037, "DS", text("1\\0\\0\\0\\1\\0"));
        }
        put(ds, 0x0028_0002, "US", us(1));
        put(ds, 0x0028_0004, "CS", text(photometric));
        if (frames > 1) {
            put(ds, 0x0028_0008, "IS", text(Integer.toString(frames)));
        }
        put(ds, 0x0028_0010, "US", us(rows));
        put(ds, 0x0028_0011, "US", us(columns));
        put(ds, 0x0028_0030, "DS", text("0.7\\0.7"));
        put(ds, 0x0028_0100, "US", us(16));
        put(ds, 0x0028_0101, "US", us(16));
        put(ds, 0x0028_0102, "US", us(15));
        put(ds, 0x0028_0103, "US", us(1));
        put(ds, 0x0028_1052, "DS", text(num(intercept)));
        put(ds, 0x0028_1053, "DS", text(num(slope)));
        ByteBuffer px = ByteBuffer.allocate(2 * rows * columns * frames).order(ByteOrder.LITTLE_ENDIAN);
        for (int f = 0; f < frames; f++) {
            for (int y = 0; y < rows; y++) {
                for (int x = 0; x < columns; x++) {
                    px.putShort((short) Math.round((hu.applyAsInt(x, y) - intercept) / slope));
                }
            }
        }
        put(ds, 0x7FE0_0010, "OW", px.array());

        ByteArrayOutputStream meta = new ByteArrayOutputStream();
        element(meta, 0x0002_0001, "OB", new byte[] {0, 1});
        element(meta, 0x0002_0002, "UI", ui(CT_STORAGE));
        element(meta, 0x0002_0003, "UI", ui(sop));
        element(meta, 0x0002_0010, "UI", ui(transferSyntax));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[128]);
        out.write("DICM".getBytes(StandardCharsets.US_ASCII));
        element(out, 0x0002_0000, "UL", ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(meta.size())
                .array());
        meta.writeTo(out);
        for (var e : ds.entrySet()) {
            out.write(e.getValue());
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.write(file, out.toByteArray());
        return file;
    }

    private static String num(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private static void put(TreeMap<Integer, byte[]> ds, int tag, String vr, byte[] value) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        element(b, tag, vr, value);
        ds.put(tag, b.toByteArray());
    }

    private static void element(ByteArrayOutputStream out, int tag, String vr, byte[] value) throws IOException {
        ByteBuffer h = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        h.putShort((short) (tag >>> 16)).putShort((short) tag).put(vr.getBytes(StandardCharsets.US_ASCII));
        if (vr.equals("OB") || vr.equals("OW")) {
            h.putShort((short) 0).putInt(value.length);
        } else {
            h.putShort((short) value.length);
        }
        out.write(h.array(), 0, h.position());
        out.write(value);
    }

    private static byte[] ui(String uid) {
        byte[] b = uid.getBytes(StandardCharsets.US_ASCII);
        return b.length % 2 == 0 ? b : java.util.Arrays.copyOf(b, b.length + 1);
    }

    private static byte[] text(String s) {
        return (s.length() % 2 == 0 ? s : s + " ").getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] us(int v) {
        return ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) v).array();
    }
}
