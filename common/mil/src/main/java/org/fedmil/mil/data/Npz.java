package org.fedmil.mil.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads NumPy's .npz files ({@code numpy.savez} and {@code numpy.savez_compressed}): a zip archive holding one
 * {@code <name>.npy} per array, stored or deflated. An array is read by its name without the {@code .npy}.
 */
public final class Npz {

    private static final String SUFFIX = ".npy";

    private Npz() {
    }

    /** The names of the arrays in {@code file}, in archive order. */
    public static List<String> names(Path file) {
        try (ZipFile zip = open(file)) {
            List<String> names = new ArrayList<>();
            for (ZipEntry e : Collections.list(zip.entries())) {
                if (!e.isDirectory() && e.getName().endsWith(SUFFIX)) {
                    names.add(e.getName().substring(0, e.getName().length() - SUFFIX.length()));
                }
            }
            return names;
        } catch (IOException e) {
            throw new BagDataException(file, "cannot read: " + e, e);
        }
    }

    /**
     * Reads array {@code name}.
     *
     * @throws BagDataException naming the file and the array if it is missing or not a supported array
     */
    public static NpyArray read(Path file, String name) {
        try (ZipFile zip = open(file)) {
            ZipEntry entry = zip.getEntry(name + SUFFIX);
            if (entry == null) {
                throw new BagDataException(file, "holds no array named '" + name + "'; it holds " + names(file)
                        + ": name the array to use");
            }
            try (InputStream in = zip.getInputStream(entry)) {
                return NpyArray.read(in, file, file + "[" + name + "]");
            }
        } catch (ZipException e) {
            throw new BagDataException(file, "array '" + name + "' cannot be unpacked (" + e.getMessage() + "); "
                    + "the file is corrupt or truncated: save it again", e);
        } catch (IOException e) {
            throw new BagDataException(file, "cannot read: " + e, e);
        }
    }

    private static ZipFile open(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new BagDataException(file, "file not found");
        }
        try {
            return new ZipFile(file.toFile());
        } catch (ZipException e) {
            throw new BagDataException(file, "not an .npz file (not a zip archive: " + e.getMessage() + "); save "
                    + "the arrays with numpy.savez(path, images=..., labels=...)", e);
        }
    }
}
