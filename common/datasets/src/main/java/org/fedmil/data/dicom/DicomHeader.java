package org.fedmil.data.dicom;

import ij.plugin.DICOM;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.fedmil.data.SourceDataException;

/**
 * What a DICOM file's header says about its image: the series and study it belongs to, where the slice lies, its
 * size and how stored values map to physical ones. Read with ImageJ's DICOM decoder, which stops before the pixel
 * data. Patient tags are never copied out of the decoder's text: nothing here can leak a name or an id.
 */
public record DicomHeader(Path file, String studyUid, String seriesUid, int seriesNumber, int instanceNumber,
                          String modality, String transferSyntax, int rows, int columns, int frames,
                          int samplesPerPixel, boolean signed, boolean monochrome1, double slope, double intercept,
                          double[] position, double[] orientation, double windowCenter, double windowWidth) {

    /** Transfer syntaxes of uncompressed pixel data, the ones ImageJ decodes. */
    static final Map<String, String> UNCOMPRESSED = Map.of(
            "1.2.840.10008.1.2", "implicit VR little endian",
            "1.2.840.10008.1.2.1", "explicit VR little endian",
            "1.2.840.10008.1.2.2", "explicit VR big endian");

    private static final Pattern LINE = Pattern.compile("^([0-9A-Fa-f]{4},[0-9A-Fa-f]{4})\\s+[^:]*:\\s?(.*)$");

    /**
     * The header of {@code file}, or empty when it is not a DICOM file or holds no image (a DICOMDIR, a report).
     *
     * @throws SourceDataException when the image is compressed (ImageJ decodes only uncompressed pixel data)
     */
    public static Optional<DicomHeader> read(Path file) {
        String info = new DICOM().getInfo(file.toString());
        if (info == null || info.isBlank()) {
            return Optional.empty();
        }
        Map<String, String> tags = new HashMap<>();
        for (String line : info.split("\n")) {
            Matcher m = LINE.matcher(line.strip());
            if (m.matches()) {
                tags.putIfAbsent(m.group(1).toUpperCase(Locale.ROOT), m.group(2).strip());
            }
        }
        // ImageJ stops reading the header at a compressed transfer syntax, so this comes before the image tags
        String syntax = tags.getOrDefault("0002,0010", "1.2.840.10008.1.2");
        if (!UNCOMPRESSED.containsKey(syntax)) {
            throw new SourceDataException(file, "its pixel data is compressed (transfer syntax " + syntax + "), which "
                    + "this reader does not decode; export the study uncompressed from the PACS, or decompress the "
                    + "files first (e.g. dcmdjpeg or dcmconv +te from Debian's dcmtk)");
        }
        int rows = integer(tags, "0028,0010", 0);
        int columns = integer(tags, "0028,0011", 0);
        if (rows <= 0 || columns <= 0) {
            return Optional.empty();
        }
        String series = tags.getOrDefault("0020,000E", "");
        if (series.isEmpty()) {
            throw new SourceDataException(file, "it has no Series Instance UID (0020,000E), so it cannot be put in a "
                    + "series; export it again from the PACS, which sets it");
        }
        return Optional.of(new DicomHeader(file, tags.getOrDefault("0020,000D", series), series,
                integer(tags, "0020,0011", 0), integer(tags, "0020,0013", 0), tags.getOrDefault("0008,0060", ""),
                syntax, rows, columns, Math.max(1, integer(tags, "0028,0008", 1)), integer(tags, "0028,0002", 1),
                integer(tags, "0028,0103", 0) == 1 && integer(tags, "0028,0100", 16) == 16,
                tags.getOrDefault("0028,0004", "").equalsIgnoreCase("MONOCHROME1"),
                number(tags, "0028,1053", 1), number(tags, "0028,1052", 0), numbers(tags, "0020,0032", 3),
                numbers(tags, "0020,0037", 6), number(tags, "0028,1050", Double.NaN),
                number(tags, "0028,1051", Double.NaN)));
    }

    /** Where the slice lies along the normal of its plane, in mm; NaN when the header does not say. */
    public double slicePosition() {
        if (position == null || orientation == null) {
            return Double.NaN;
        }
        double[] n = {orientation[1] * orientation[5] - orientation[2] * orientation[4],
                orientation[2] * orientation[3] - orientation[0] * orientation[5],
                orientation[0] * orientation[4] - orientation[1] * orientation[3]};
        return position[0] * n[0] + position[1] * n[1] + position[2] * n[2];
    }

    boolean colour() {
        return samplesPerPixel == 3;
    }

    private static int integer(Map<String, String> tags, String tag, int otherwise) {
        double v = number(tags, tag, otherwise);
        return Double.isNaN(v) ? otherwise : (int) Math.round(v);
    }

    /** The first value of a (possibly multi-valued, backslash-separated) numeric tag. */
    private static double number(Map<String, String> tags, String tag, double otherwise) {
        double[] v = numbers(tags, tag, 1);
        return v == null ? otherwise : v[0];
    }

    private static double[] numbers(Map<String, String> tags, String tag, int count) {
        String s = tags.get(tag);
        if (s == null || s.isBlank()) {
            return null;
        }
        String[] parts = s.split("\\\\");
        if (parts.length < count) {
            return null;
        }
        double[] v = new double[count];
        try {
            for (int i = 0; i < count; i++) {
                v[i] = Double.parseDouble(parts[i].strip());
            }
        } catch (NumberFormatException e) {
            return null;
        }
        return v;
    }
}
