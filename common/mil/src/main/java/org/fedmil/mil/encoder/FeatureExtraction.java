package org.fedmil.mil.encoder;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;
import org.fedmil.mil.data.Npy;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.util.AtomicFiles;

/**
 * Turns a tile site folder into a feature site folder with a frozen pretrained encoder: {@code bags/<bag_id>.npy}
 * (one row of features per tile), {@code bags.csv} (labels as they were; empty for unlabeled bags) and
 * {@value #MANIFEST}, which names the encoder's SHA-256 so a federation can check every site used the same one.
 * Each bag is read, encoded in batches and written one at a time; bags whose tiles and encoder have not changed
 * are copied from the {@link FeatureCache} instead of encoded again.
 */
public final class FeatureExtraction {

    public static final String MANIFEST = "features.json";

    /** What a run did. */
    public record Report(int bags, long tiles, int cached, int encoded, int features, double encodeSeconds) {

        /** Tiles encoded per second of encoder time (NaN when every bag came from the cache). */
        public double tilesPerSecond(long encodedTiles) {
            return encodeSeconds > 0 ? encodedTiles / encodeSeconds : Double.NaN;
        }
    }

    private final TorchScriptEncoder encoder;
    private final TileNormalisation normalisation;
    private final FeatureCache cache;
    private final int batch;
    private long encodedTiles;

    public FeatureExtraction(TorchScriptEncoder encoder, TileNormalisation normalisation, Path cacheRoot, int batch) {
        if (batch < 1) {
            throw new IllegalArgumentException("--batch must be at least 1, got " + batch);
        }
        this.encoder = encoder;
        this.normalisation = normalisation;
        this.cache = new FeatureCache(cacheRoot, encoder.sha256());
        this.batch = batch;
    }

    /** Tiles encoded (not taken from the cache) so far. */
    public long encodedTiles() {
        return encodedTiles;
    }

    public Report run(Path tiles, TileFormat format, Path out) throws IOException {
        BagDataset data = BagDataset.loadForPrediction(tiles, Optional.of(format));
        if (!data.isTiles()) {
            throw new IllegalArgumentException(tiles + " holds feature vectors (bags/), not image tiles (tiles/); "
                    + "an encoder turns tiles into features");
        }
        Path bagsDir = Files.createDirectories(out.resolve(BagDataset.BAGS_DIR));
        Files.deleteIfExists(out.resolve(BagDataset.INDEX_FILE));
        StringBuilder index = new StringBuilder(BagDataset.HEADER).append('\n');
        int cached = 0;
        int encoded = 0;
        long tileCount = 0;
        int features = -1;
        long nanos = 0;
        for (boolean labelled : new boolean[]{true, false}) {
            List<Bag> part = labelled ? data.bags() : data.unlabeled();
            for (int i = 0; i < part.size(); i++) {
                BagEntry entry = data.tileEntry(labelled, i); // id and label without decoding the tiles
                String id = entry.id();
                List<Path> files = data.tileFiles(id);
                String key = FeatureCache.key(encoder.sha256(), normalisation, format.channels(), format.size(),
                        files);
                Optional<Path> hit = cache.get(id, key);
                Path npy;
                int label;
                if (hit.isPresent()) {
                    npy = hit.get();
                    cached++;
                    label = entry.label();
                } else {
                    Bag bag = part.get(i); // decoded from disk now, one bag at a time
                    long t0 = System.nanoTime();
                    Npy.Matrix m = encode(bag, format);
                    nanos += System.nanoTime() - t0;
                    npy = cache.put(id, key, m);
                    encoded++;
                    label = bag.label();
                }
                Files.copy(npy, bagsDir.resolve(id + ".npy"), StandardCopyOption.REPLACE_EXISTING);
                int width = Npy.read(bagsDir.resolve(id + ".npy")).cols();
                if (features >= 0 && width != features) {
                    throw new EncoderException(encoder.file(), "gave " + width + " features for bag '" + id
                            + "' but " + features + " for the bags before it");
                }
                features = width;
                tileCount += files.size();
                index.append(id).append(',').append(label < 0 ? "" : Integer.toString(label)).append('\n');
            }
        }
        carryOrigins(tiles, out, data);
        Map<String, Object> manifest = new LinkedHashMap<>();
        manifest.put("generator", "fedmil-features/1");
        manifest.put("encoder_sha256", encoder.sha256());
        manifest.put("encoder_file", encoder.file().getFileName().toString());
        manifest.put("normalisation", normalisation.configName());
        manifest.put("tile_format", Map.of("channels", format.channels(), "size", format.size()));
        manifest.put("features", features);
        manifest.put("bags", cached + encoded);
        manifest.put("tiles", tileCount);
        byte[] json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(manifest);
        AtomicFiles.write(out.resolve(MANIFEST), o -> o.write(json));
        byte[] csv = index.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out.resolve(BagDataset.INDEX_FILE), o -> o.write(csv)); // last: its absence means unfinished
        return new Report(cached + encoded, tileCount, cached, encoded, features, nanos / 1e9);
    }


    /** Where tiles were cut ({@value #ORIGINS} of data slides / data tiles), with each tile named by its row. */
    public static final String ORIGINS = "tiles_origin.csv";

    /**
     * Carries the tile site's {@value #ORIGINS} over to the feature site, naming each tile by the feature row it
     * became ({@code instance_<i>}, as predictions and explanations name the instances of feature bags), so that
     * heatmaps over slides still find where each instance was cut.
     */
    private static void carryOrigins(Path tiles, Path out, BagDataset data) throws IOException {
        Path from = tiles.resolve(ORIGINS);
        if (!Files.isRegularFile(from)) {
            return;
        }
        List<String> lines = Files.readAllLines(from, StandardCharsets.UTF_8);
        Map<String, Map<String, Integer>> rowOf = new java.util.HashMap<>();
        StringBuilder text = new StringBuilder(lines.isEmpty() ? "" : lines.get(0) + "\n");
        for (String line : lines.subList(Math.min(1, lines.size()), lines.size())) {
            int a = line.indexOf(',');
            int b = line.indexOf(',', a + 1);
            if (a < 0 || b < 0) {
                continue;
            }
            String bag = line.substring(0, a);
            Map<String, Integer> rows = rowOf.computeIfAbsent(bag, id -> {
                Map<String, Integer> m = new java.util.HashMap<>();
                List<Path> files = data.tileFiles(id);
                for (int i = 0; i < files.size(); i++) {
                    m.put(files.get(i).getFileName().toString(), i);
                }
                return m;
            });
            Integer row = rows.get(line.substring(a + 1, b));
            if (row != null) {
                text.append(bag).append(",instance_").append(row).append(line.substring(b)).append('\n');
            }
        }
        byte[] bytes = text.toString().getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(out.resolve(ORIGINS), o -> o.write(bytes));
    }

    private Npy.Matrix encode(Bag bag, TileFormat format) {
        int n = bag.instances();
        int per = format.dim();
        float[] all = bag.features();
        float[] out = null;
        int width = 0;
        for (int from = 0; from < n; from += batch) {
            int k = Math.min(batch, n - from);
            float[] chunk = new float[k * per];
            System.arraycopy(all, from * per, chunk, 0, k * per);
            float[] ready = normalisation.apply(chunk, k, format.channels(), format.size());
            float[][] rows = encoder.encode(ready, k, normalisation.channelsFor(format.channels()), format.size());
            if (out == null) {
                width = rows[0].length;
                out = new float[n * width];
            }
            for (int r = 0; r < k; r++) {
                System.arraycopy(rows[r], 0, out, (from + r) * width, width);
            }
        }
        encodedTiles += n;
        return new Npy.Matrix(n, width, out);
    }
}
