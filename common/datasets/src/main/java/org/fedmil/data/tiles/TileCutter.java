package org.fedmil.data.tiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

import org.fedmil.data.SourceDataException;
import org.fedmil.data.TileSiteFiles;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.util.AtomicFiles;

/**
 * Cuts images into tile bags, written as a tile site folder ({@code bags.csv} + {@code tiles/<bag_id>/NNN.png})
 * with {@value #REPORT} (per image page: tiles cut, dropped as background, kept, written), {@value #ORIGINS}
 * (where each tile came from) and {@value #MANIFEST}.
 *
 * <p>Tiles sit on a grid from the top-left corner, {@code stride} apart; a tile that would cross the right or
 * bottom edge is not cut. Each page of a multi-page TIFF is one more image of the bag. With {@code maxTiles},
 * a bag with more kept tiles gets a seeded random subset (the same for the same seed and bag id), in reading
 * order.
 *
 * <p>Memory: one decoded page at a time (each image is decoded twice: once to find the tissue tiles, once to
 * write the chosen ones). Every image header is checked before anything is written; {@code bags.csv} is written
 * last, so a folder without it is an interrupted run.
 */
public final class TileCutter {

    public static final String GENERATOR = "fedmil-tiles/1";
    public static final String REPORT = "tiles_report.csv";
    public static final String ORIGINS = "tiles_origin.csv";
    public static final String MANIFEST = "manifest.json";
    private static final int MAX_PROBLEMS_SHOWN = 20;

    /**
     * @param tileSize side of a tile in pixels
     * @param stride   distance between tile origins (= tileSize: adjacent tiles, no overlap)
     * @param maxTiles most tiles per bag, 0 for all
     */
    public record Config(int tileSize, int stride, BackgroundFilter filter, int maxTiles, long seed,
                         HighDepthScale scale) {

        public Config {
            if (tileSize < TileFormat.MIN_SIZE || tileSize > TileFormat.MAX_SIZE) {
                throw new IllegalArgumentException("--tile-size must be between " + TileFormat.MIN_SIZE + " and "
                        + TileFormat.MAX_SIZE + " pixels, got " + tileSize);
            }
            if (stride < 1) {
                throw new IllegalArgumentException("--stride must be at least 1 pixel, got " + stride);
            }
            if (maxTiles < 0) {
                throw new IllegalArgumentException("--max-tiles must be 0 (all) or more, got " + maxTiles);
            }
        }
    }

    /** A kept tile: which image and page of the bag, and where. */
    private record Spot(int image, int page, int x, int y) {
    }

    private final Config config;

    public TileCutter(Config config) {
        this.config = config;
    }

    /** Tile origins along an axis of {@code length} pixels. */
    static int positions(int length, int tile, int stride) {
        return length < tile ? 0 : (length - tile) / stride + 1;
    }

    /** Checks every image, then writes the site folder {@code out}; the report says what each image gave. */
    public TilesReport run(List<BagPlan> plans, Path out) throws IOException {
        Map<BagPlan.Image, SourceImages.Pages> pages = probe(plans);
        Files.createDirectories(out);
        Files.deleteIfExists(out.resolve(BagDataset.INDEX_FILE));
        TileSiteFiles.replaceTilesFolder(out);
        TilesReport report = new TilesReport(config);
        StringBuilder origins = new StringBuilder("bag_id,tile,image,page,x,y\n");
        for (BagPlan bag : plans) {
            List<Spot> kept = scan(bag, pages, report);
            if (kept.isEmpty()) {
                report.dropped(bag, "none of its " + bag.images().size() + " image(s) kept a tile (all "
                        + "background, see " + REPORT + ")");
                continue;
            }
            List<Spot> chosen = choose(bag.id(), kept);
            write(out, bag, chosen, origins, report);
        }
        if (report.bags().isEmpty()) {
            throw new SourceDataException(out, "no image kept a single tile, so no bag was written; check the "
                    + "background filter (--background, --max-background, or --background off) against "
                    + out.resolve(REPORT));
        }
        TileSiteFiles.writeText(out.resolve(REPORT), report.csv());
        TileSiteFiles.writeText(out.resolve(ORIGINS), origins.toString());
        byte[] manifest = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsBytes(report.manifest(GENERATOR));
        AtomicFiles.write(out.resolve(MANIFEST), o -> o.write(manifest));
        StringBuilder index = new StringBuilder(BagDataset.HEADER).append('\n');
        report.bags().forEach(b -> index.append(b.id()).append(',').append(TileSiteFiles.label(b.label()))
                .append('\n'));
        AtomicFiles.write(out.resolve(BagDataset.INDEX_FILE), o -> o.write(index.toString()
                .getBytes(StandardCharsets.UTF_8)));
        return report;
    }

    private Map<BagPlan.Image, SourceImages.Pages> probe(List<BagPlan> plans) {
        Map<BagPlan.Image, SourceImages.Pages> pages = new HashMap<>();
        List<String> problems = new ArrayList<>();
        for (BagPlan bag : plans) {
            for (BagPlan.Image image : bag.images()) {
                SourceImages.Pages p = SourceImages.probe(image, problems);
                if (p == null) {
                    continue;
                }
                for (int i = 0; i < p.count(); i++) {
                    int[] wh = p.sizes().get(i);
                    if (wh[0] < config.tileSize() || wh[1] < config.tileSize()) {
                        problems.add(image.describe() + ": " + (p.count() > 1 ? "page " + i + " is " : "is ") + wh[0]
                                + "×" + wh[1] + " pixels, smaller than the tile size " + config.tileSize()
                                + "; choose a smaller --tile-size or remove the image");
                    }
                }
                pages.put(image, p);
            }
        }
        if (!problems.isEmpty()) {
            StringBuilder s = new StringBuilder(problems.size() + " problem(s) with the input images; nothing was "
                    + "written:");
            problems.stream().limit(MAX_PROBLEMS_SHOWN).forEach(p -> s.append("\n  ").append(p));
            if (problems.size() > MAX_PROBLEMS_SHOWN) {
                s.append("\n  ... and ").append(problems.size() - MAX_PROBLEMS_SHOWN).append(" more");
            }
            throw new SourceDataException(null, s.toString());
        }
        return pages;
    }

    private List<Spot> scan(BagPlan bag, Map<BagPlan.Image, SourceImages.Pages> pages, TilesReport report) {
        List<Spot> kept = new ArrayList<>();
        int t = config.tileSize();
        int s = config.stride();
        for (int i = 0; i < bag.images().size(); i++) {
            BagPlan.Image image = bag.images().get(i);
            for (int p = 0; p < pages.get(image).count(); p++) {
                PagePixels px = PagePixels.of(SourceImages.decode(image, p), config.scale());
                int nx = positions(px.width(), t, s);
                int ny = positions(px.height(), t, s);
                int before = kept.size();
                for (int gy = 0; gy < ny; gy++) {
                    for (int gx = 0; gx < nx; gx++) {
                        if (config.filter().keeps(px.tile(gx * s, gy * s, t))) {
                            kept.add(new Spot(i, p, gx * s, gy * s));
                        }
                    }
                }
                report.page(bag, image, p, px, nx * ny, kept.size() - before);
            }
        }
        return kept;
    }

    /** All kept tiles, or a seeded random subset of maxTiles of them in reading order. */
    private List<Spot> choose(String bagId, List<Spot> kept) {
        return SeededSubset.of(kept, config.maxTiles(), config.seed(), bagId);
    }

    private void write(Path out, BagPlan bag, List<Spot> chosen, StringBuilder origins, TilesReport report)
            throws IOException {
        Path folder = Files.createDirectories(out.resolve(BagDataset.TILES_DIR).resolve(bag.id()));
        String format = "%0" + Math.max(3, Integer.toString(chosen.size() - 1).length()) + "d.png";
        int t = config.tileSize();
        int n = 0;
        int k = 0;
        while (k < chosen.size()) {
            Spot first = chosen.get(k);
            BagPlan.Image image = bag.images().get(first.image());
            PagePixels px = PagePixels.of(SourceImages.decode(image, first.page()), config.scale());
            int fromPage = 0;
            for (; k < chosen.size() && chosen.get(k).image() == first.image()
                    && chosen.get(k).page() == first.page(); k++) {
                Spot spot = chosen.get(k);
                String name = String.format(Locale.ROOT, format, n++);
                TilePng.write(folder.resolve(name), px.tile(spot.x(), spot.y(), t), t,
                        px.channels() == 1 && px.bits() > 8);
                origins.append(bag.id()).append(',').append(name).append(',').append(CsvText.field(image.shown()))
                        .append(',').append(spot.page()).append(',').append(spot.x()).append(',').append(spot.y())
                        .append('\n');
                fromPage++;
            }
            report.written(bag, image, first.page(), fromPage);
        }
        report.bag(bag, chosen.size());
    }
}
