package org.fedmil.mil.data;

import org.fedmil.util.AtomicFiles;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Writes a {@link BagDataset} as a site folder that {@link BagDataset#load} reads back unchanged. */
public final class BagDatasetWriter {

    private BagDatasetWriter() {
    }

    /**
     * Writes {@code dir/bags/<id>.npy} for every bag, then {@code dir/bags.csv}. Each file is replaced atomically
     * and bags.csv goes last, after the matrices are durable: an interrupted write leaves either the previous
     * bags.csv or none, never a half-written one or one that lists missing bags. Files of bags not in
     * {@code dataset} are left alone (the loader ignores unlisted bags).
     */
    public static void write(Path dir, BagDataset dataset) throws IOException {
        Path bagsDir = dir.resolve(BagDataset.BAGS_DIR);
        Files.createDirectories(bagsDir);
        NpyBagSource layout = new NpyBagSource(bagsDir);
        for (Bag bag : dataset.bags()) {
            Npy.Matrix m = new Npy.Matrix(bag.instances(), bag.dim(), bag.features());
            AtomicFiles.writeWithoutDirectorySync(layout.fileOf(bag.id()), out -> Npy.write(out, m));
        }
        AtomicFiles.fsyncDirectory(bagsDir);
        AtomicFiles.write(dir.resolve(BagDataset.INDEX_FILE), out -> {
            Writer w = new OutputStreamWriter(out, StandardCharsets.UTF_8);
            w.write(BagDataset.HEADER);
            w.write('\n');
            for (Bag bag : dataset.bags()) {
                w.write(bag.id());
                w.write(',');
                w.write(Integer.toString(bag.label()));
                w.write('\n');
            }
            w.flush();
        });
    }
}
