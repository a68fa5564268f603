package org.fedmil.bench.mil;

import java.io.IOException;
import java.nio.file.Path;
import org.fedmil.data.split.DataSplit;
import org.fedmil.data.split.SplitSource;
import org.fedmil.data.split.SplitWriter;
import org.fedmil.mil.data.TileFormat;

/**
 * Benchmark splits of a data set folder, made by {@code fedmil data split}'s own code: fold {@code i} of a
 * stratified k-fold (its test bags held out at the coordinator, the rest dealt non-IID to the sites), or without
 * folds one seeded held-out split. Each is written as linked site folders when it is needed, so that a run can
 * delete the links of one fold before the next.
 */
final class DataSetSplits {

    /** Writes (or rewrites) the data set folder and returns it; called before every split. */
    @FunctionalInterface
    interface Source {
        Path write() throws IOException;
    }

    /**
     * A split on disk.
     *
     * @param format the tile format, or null for a feature (.npy) data set
     */
    record Written(Path dir, TileFormat format) {
    }

    private final Source source;
    private final DataSplit.Options template;
    private final Path work;
    private final int tileSize;
    private final int channels;
    private TileFormat format;

    /**
     * @param options  folds (0: one held-out split), sites, α, held-out fraction; the seed is set per split
     * @param tileSize tile size to decode to, 0 to infer it from the tiles
     * @param channels 1 or 3, 0 to infer
     */
    DataSetSplits(Source source, DataSplit.Options options, Path work, int tileSize, int channels) {
        this.source = source;
        this.template = options;
        this.work = work;
        this.tileSize = tileSize;
        this.channels = channels;
    }

    /** Writes the split of {@code seed} whose held-out set is fold {@code fold} (0 without folds). */
    Written write(long seed, int fold) throws IOException {
        SplitSource data = SplitSource.read(source.write());
        DataSplit split = DataSplit.plan(data, new DataSplit.Options(template.folds(), template.sites(),
                template.alpha(), template.heldoutFraction(), seed));
        if (fold < 0 || fold > split.folds().size() || (fold == 0) != (template.folds() == 0)) {
            throw new IllegalArgumentException("fold " + fold + " does not exist; folds are 1.." + template.folds());
        }
        Path out = work.resolve(data.dir().getFileName() + "-split-seed" + seed);
        Path dir = new SplitWriter(data, split).writeFold(out, split.folds().get(Math.max(0, fold - 1)));
        if (data.kind() == SplitSource.Kind.TILES && format == null) {
            int[] cs = TileFormatGuess.of(data, tileSize, channels);
            format = new TileFormat(cs[0], cs[1]);
        }
        return new Written(dir, data.kind() == SplitSource.Kind.TILES ? format : null);
    }
}
