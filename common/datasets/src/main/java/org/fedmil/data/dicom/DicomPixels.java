package org.fedmil.data.dicom;

import ij.ImagePlus;
import ij.ImageStack;
import ij.Prefs;
import ij.io.FileInfo;
import ij.plugin.DICOM;
import ij.process.ImageProcessor;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.fedmil.data.SourceDataException;

/**
 * The frames of one DICOM file in physical units: stored value × rescale slope + intercept (Hounsfield units for
 * CT), one {@code float[rows × columns]} per frame; colour files as three planes 0–1.
 */
final class DicomPixels {

    static {
        // ImageJ turns a sloped image into 32-bit through its menu machinery, which a headless JVM lacks; with
        // this it leaves the stored values alone and the slope and intercept are applied here, from the header
        Prefs.ignoreRescaleSlope = true;
    }

    private DicomPixels() {
    }

    /** Grey frames in physical units, {@code [frame][y * columns + x]}. */
    static List<float[]> grey(DicomHeader h) {
        ImagePlus imp = open(h);
        ImageStack stack = imp.getStack();
        double offset = h.signed() ? 32768 : 0; // ImageJ shifts signed 16-bit data into unsigned
        List<float[]> frames = new ArrayList<>(stack.getSize());
        for (int f = 1; f <= stack.getSize(); f++) {
            ImageProcessor ip = stack.getProcessor(f);
            float[] v = new float[h.rows() * h.columns()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (h.slope() * (ip.get(i) - offset) + h.intercept());
            }
            frames.add(v);
        }
        return frames;
    }

    /** Colour frames, {@code [frame][channel][y * columns + x]}, 0–1. */
    static List<float[][]> colour(DicomHeader h) {
        ImageStack stack = open(h).getStack();
        List<float[][]> frames = new ArrayList<>(stack.getSize());
        for (int f = 1; f <= stack.getSize(); f++) {
            ImageProcessor ip = stack.getProcessor(f);
            float[][] p = new float[3][h.rows() * h.columns()];
            for (int i = 0; i < p[0].length; i++) {
                int rgb = ip.get(i);
                p[0][i] = ((rgb >> 16) & 0xFF) / 255f;
                p[1][i] = ((rgb >> 8) & 0xFF) / 255f;
                p[2][i] = (rgb & 0xFF) / 255f;
            }
            frames.add(p);
        }
        return frames;
    }

    private static ImagePlus open(DicomHeader h) {
        DICOM imp = new DICOM();
        imp.open(h.file().toString());
        FileInfo fi = imp.getOriginalFileInfo();
        if (imp.getWidth() != h.columns() || imp.getHeight() != h.rows() || fi == null) {
            throw new SourceDataException(h.file(), "its pixel data could not be decoded (the header says "
                    + h.columns() + "×" + h.rows() + "); export the file again");
        }
        long needed = Math.max(fi.offset, fi.longOffset) + (long) fi.width * fi.height * fi.nImages
                * fi.getBytesPerPixel();
        long size;
        try {
            size = Files.size(h.file());
        } catch (IOException e) {
            throw new SourceDataException(h.file(), "cannot be read: " + e.getMessage(), e);
        }
        if (size < needed) {
            throw new SourceDataException(h.file(), "is cut short: its pixel data needs " + needed + " bytes, the file "
                    + "has " + size + " (an interrupted copy or export?); copy it again");
        }
        if (imp.getStackSize() != h.frames()) {
            throw new SourceDataException(h.file(), "holds " + imp.getStackSize() + " frames, but its header says "
                    + h.frames() + "; export it again");
        }
        return imp;
    }
}
