package org.fedmil.data.tiles;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.fedmil.data.TileSiteFiles;

/** What {@link TileCutter} did, per image page and per bag: the console summary, the report CSV and the manifest. */
public final class TilesReport {

    /** One page of one image: tiles on the grid, dropped as background, kept by the filter, written to the bag. */
    public record PageRow(String image, int page, String bagId, int label, int width, int height, int channels,
                          int bits, int tiles, int kept, int written) {

        public int background() {
            return tiles - kept;
        }
    }

    /** A bag written: its id, label and number of tiles. */
    public record WrittenBag(String id, int label, int tiles) {
    }

    /** A bag not written, and why. */
    public record DroppedBag(String id, int label, String reason) {
    }

    private final TileCutter.Config config;
    private final List<PageRow> rows = new ArrayList<>();
    private final Map<String, Integer> rowOf = new HashMap<>();
    private final List<WrittenBag> bags = new ArrayList<>();
    private final List<DroppedBag> dropped = new ArrayList<>();

    TilesReport(TileCutter.Config config) {
        this.config = config;
    }

    private static String key(BagPlan bag, BagPlan.Image image, int page) {
        return bag.id() + '\u0000' + image.file() + '\u0000' + page;
    }

    void page(BagPlan bag, BagPlan.Image image, int page, PagePixels px, int tiles, int kept) {
        rowOf.put(key(bag, image, page), rows.size());
        rows.add(new PageRow(image.shown(), page, bag.id(), bag.label(), px.width(), px.height(), px.channels(),
                px.bits(), tiles, kept, 0));
    }

    void written(BagPlan bag, BagPlan.Image image, int page, int n) {
        int i = rowOf.get(key(bag, image, page));
        PageRow r = rows.get(i);
        rows.set(i, new PageRow(r.image(), r.page(), r.bagId(), r.label(), r.width(), r.height(), r.channels(),
                r.bits(), r.tiles(), r.kept(), n));
    }

    void bag(BagPlan bag, int tiles) {
        bags.add(new WrittenBag(bag.id(), bag.label(), tiles));
    }

    void dropped(BagPlan bag, String reason) {
        dropped.add(new DroppedBag(bag.id(), bag.label(), reason));
    }

    public List<PageRow> rows() {
        return List.copyOf(rows);
    }

    public List<WrittenBag> bags() {
        return List.copyOf(bags);
    }

    public List<DroppedBag> droppedBags() {
        return List.copyOf(dropped);
    }

    /** 3 if any written tile is in colour, else 1: the channels of the tile format to load the folder with. */
    public int channels() {
        return rows.stream().filter(r -> r.written() > 0).anyMatch(r -> r.channels() == 3) ? 3 : 1;
    }

    /** The report CSV: one row per image page. */
    public String csv() {
        StringBuilder s = new StringBuilder("image,page,bag_id,label,width,height,channels,bits,tiles,background,"
                + "kept,written\n");
        for (PageRow r : rows) {
            s.append(CsvText.field(r.image())).append(',').append(r.page()).append(',').append(r.bagId())
                    .append(',').append(r.label()).append(',').append(r.width()).append(',').append(r.height())
                    .append(',').append(r.channels()).append(',').append(r.bits()).append(',').append(r.tiles())
                    .append(',').append(r.background()).append(',').append(r.kept()).append(',')
                    .append(r.written()).append('\n');
        }
        return s.toString();
    }

    /** Warnings for the console: image pages that kept no tile, and bags that were not written. */
    public List<String> warnings() {
        List<String> w = new ArrayList<>();
        for (PageRow r : rows) {
            if (r.kept() == 0) {
                w.add("warning: " + r.image() + (r.page() > 0 ? " page " + r.page() : "") + " kept 0 of " + r.tiles()
                        + " tiles (all background: " + config.filter().describe() + ")");
            }
        }
        for (DroppedBag d : dropped) {
            w.add("warning: bag '" + d.id() + "' (label " + d.label() + ") was not written: " + d.reason());
        }
        return w;
    }

    /** The console summary: totals, and per image when there are few. */
    public String summary(int maxImageLines) {
        StringBuilder s = new StringBuilder();
        if (rows.size() <= maxImageLines) {
            s.append(String.format(Locale.ROOT, "%-40s %-24s %6s %6s %6s%n", "image", "bag", "tiles", "kept",
                    "wrote"));
            for (PageRow r : rows) {
                String image = r.image() + (r.page() > 0 ? " p" + r.page() : "");
                s.append(String.format(Locale.ROOT, "%-40s %-24s %6d %6d %6d%n", image, r.bagId(), r.tiles(),
                        r.kept(), r.written()));
            }
        }
        long positives = bags.stream().filter(b -> b.label() == 1).count();
        long tiles = bags.stream().mapToLong(WrittenBag::tiles).sum();
        int min = bags.stream().mapToInt(WrittenBag::tiles).min().orElse(0);
        int max = bags.stream().mapToInt(WrittenBag::tiles).max().orElse(0);
        s.append(String.format(Locale.ROOT, "%d image page(s): %d tiles cut, %d dropped as background, %d kept; "
                        + "%d bag(s) written (%d positive), %d tiles, %d-%d per bag; %d bag(s) dropped%n", rows.size(),
                rows.stream().mapToLong(PageRow::tiles).sum(), rows.stream().mapToLong(PageRow::background).sum(),
                rows.stream().mapToLong(PageRow::kept).sum(), bags.size(), positives, tiles, min, max,
                dropped.size()));
        return s.toString();
    }

    Map<String, Object> manifest(String generator) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", generator);
        m.put("tile_size", config.tileSize());
        m.put("stride", config.stride());
        m.put("background", TileSiteFiles.ordered("mode", config.filter().mode().name().toLowerCase(Locale.ROOT),
                "white_threshold", config.filter().white(), "saturation_threshold", config.filter().saturation(),
                "dark_threshold", config.filter().dark(), "max_background", config.filter().maxFraction()));
        m.put("max_tiles", config.maxTiles());
        m.put("seed", config.seed());
        m.put("scale_16bit", config.scale().toString());
        m.put("tile_format", TileSiteFiles.ordered("channels", channels(), "size", config.tileSize()));
        m.put("bags", bags.size());
        m.put("positive_bags", bags.stream().filter(b -> b.label() == 1).count());
        m.put("tiles", bags.stream().mapToLong(WrittenBag::tiles).sum());
        List<Map<String, Object>> d = new ArrayList<>();
        dropped.forEach(x -> d.add(TileSiteFiles.ordered("bag_id", x.id(), "label", x.label(), "reason",
                x.reason())));
        m.put("dropped_bags", d);
        return m;
    }
}
