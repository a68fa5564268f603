package org.fedmil.data.slide;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.fedmil.data.SourceDataException;
import org.fedmil.data.TileSiteFiles;
import org.fedmil.data.tiles.BagPlan;
import org.fedmil.data.tiles.CsvText;
import org.fedmil.data.tiles.TilePng;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.util.AtomicFiles;

/**
 * Cuts whole-slide images into a tile site folder: {@code bags.csv}, {@code tiles/<bag_id>/NNNN.png}, {@value
 * #ORIGINS} (each tile's slide and level-0 rectangle, for heatmaps), {@value #REPORT} (per slide: size,
 * resolution, level read, tissue, tiles) and {@value #MANIFEST}.
 *
 * <p>Every slide is planned (opened, its tissue found) before anything is written, so a corrupt slide, one
 * without tissue or one without a resolution stops the run with all such problems listed and the output folder
 * untouched. Then one slide, and one tile of it, at a time: memory is bounded by the thumbnail and a tile, not
 * by the slide. {@code bags.csv} is written last, so a folder without it is an interrupted run.
 */
public final class SlideCutter {

    public static final String GENERATOR = "fedmil-slides/1";
    public static final String REPORT = "slides_report.csv";
    public static final String ORIGINS = "tiles_origin.csv";
    public static final String MANIFEST = "manifest.json";
    private static final int MAX_PROBLEMS_SHOWN = 20;

    /** What was written for one slide. */
    public record SlideRow(String slide, String bagId, int label, SlidePlan plan) {
    }

    private final SlideTiling tiling;

    public SlideCutter(SlideTiling tiling) {
        this.tiling = tiling;
    }

    /** Plans every slide, then writes the site folder {@code out}; returns a row per slide. */
    public List<SlideRow> run(List<BagPlan> bags, Path out) throws IOException {
        Map<BagPlan.Image, SlidePlan> plans = planAll(bags);
        Files.createDirectories(out);
        Files.deleteIfExists(out.resolve(BagDataset.INDEX_FILE));
        TileSiteFiles.replaceTilesFolder(out);
        List<SlideRow> rows = new ArrayList<>();
        StringBuilder origins = new StringBuilder("bag_id,tile,slide,x,y,size\n");
        StringBuilder index = new StringBuilder(BagDataset.HEADER).append('\n');
        for (BagPlan bag : bags) {
            Path folder = Files.createDirectories(out.resolve(BagDataset.TILES_DIR).resolve(bag.id()));
            int total = bag.images().stream().mapToInt(i -> plans.get(i).tiles().size()).sum();
            String name = "%0" + Math.max(4, Integer.toString(total - 1).length()) + "d.png";
            int n = 0;
            for (BagPlan.Image image : bag.images()) {
                SlidePlan plan = plans.get(image);
                n = writeTiles(image, plan, folder, name, n, bag.id(), origins);
                rows.add(new SlideRow(image.shown(), bag.id(), bag.label(), plan));
            }
            index.append(bag.id()).append(',').append(TileSiteFiles.label(bag.label())).append('\n');
        }
        TileSiteFiles.writeText(out.resolve(REPORT), report(rows));
        TileSiteFiles.writeText(out.resolve(ORIGINS), origins.toString());
        byte[] manifest = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsBytes(manifest(bags, rows));
        AtomicFiles.write(out.resolve(MANIFEST), o -> o.write(manifest));
        AtomicFiles.write(out.resolve(BagDataset.INDEX_FILE), o -> o.write(index.toString()
                .getBytes(StandardCharsets.UTF_8)));
        return rows;
    }

    private Map<BagPlan.Image, SlidePlan> planAll(List<BagPlan> bags) {
        Map<BagPlan.Image, SlidePlan> plans = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (BagPlan bag : bags) {
            for (BagPlan.Image image : bag.images()) {
                try {
                    plans.put(image, SlidePlan.of(image.file(), tiling, bag.id() + "/" + image.shown()));
                } catch (SourceDataException e) {
                    problems.add((image.where().isEmpty() ? "" : image.where() + ": ") + e.getMessage());
                }
            }
        }
        if (!problems.isEmpty()) {
            StringBuilder s = new StringBuilder(problems.size() + " problem(s) with the slides; nothing was written:");
            problems.stream().limit(MAX_PROBLEMS_SHOWN).forEach(p -> s.append("\n  ").append(p));
            if (problems.size() > MAX_PROBLEMS_SHOWN) {
                s.append("\n  ... and ").append(problems.size() - MAX_PROBLEMS_SHOWN).append(" more");
            }
            throw new SourceDataException(null, s.toString());
        }
        return plans;
    }

    private int writeTiles(BagPlan.Image image, SlidePlan plan, Path folder, String format, int first, String bagId,
                           StringBuilder origins) throws IOException {
        int t = tiling.tileSize();
        int n = first;
        try (Slide slide = Slide.open(image.file())) {
            double ds = slide.downsample(plan.level());
            int read = (int) Math.max(t, Math.round(plan.side() / ds));
            for (long[] corner : plan.tiles()) {
                int[] rgb = slide.readRgb(plan.level(), corner[0], corner[1], read, read);
                int[] tile = AreaResample.rgb(rgb, read, read, t, t);
                String name = String.format(Locale.ROOT, format, n++);
                TilePng.write(folder.resolve(name), planes(tile), t, false);
                origins.append(bagId).append(',').append(name).append(',').append(CsvText.field(image.shown()))
                        .append(',').append(corner[0]).append(',').append(corner[1]).append(',')
                        .append(Math.round(plan.side())).append('\n');
            }
        }
        return n;
    }

    private static float[][] planes(int[] rgb) {
        float[][] p = new float[3][rgb.length];
        for (int i = 0; i < rgb.length; i++) {
            p[0][i] = ((rgb[i] >> 16) & 0xFF) / 255f;
            p[1][i] = ((rgb[i] >> 8) & 0xFF) / 255f;
            p[2][i] = (rgb[i] & 0xFF) / 255f;
        }
        return p;
    }

    private static String report(List<SlideRow> rows) {
        StringBuilder s = new StringBuilder("slide,bag_id,label,width,height,mpp,level,tile_side_level0,"
                + "tissue_fraction,saturation_threshold,grid_tiles,tissue_tiles,written\n");
        for (SlideRow r : rows) {
            SlidePlan p = r.plan();
            s.append(CsvText.field(r.slide())).append(',').append(r.bagId()).append(',').append(r.label()).append(',')
                    .append(p.width()).append(',').append(p.height()).append(',')
                    .append(Double.isNaN(p.mpp()) ? "" : String.format(Locale.ROOT, "%.4f", p.mpp())).append(',')
                    .append(p.level()).append(',').append(String.format(Locale.ROOT, "%.1f", p.side())).append(',')
                    .append(String.format(Locale.ROOT, "%.4f,%.4f", p.tissueFraction(), p.saturationThreshold()))
                    .append(',').append(p.gridTiles()).append(',').append(p.tissueTiles()).append(',')
                    .append(p.tiles().size()).append('\n');
        }
        return s.toString();
    }

    private Map<String, Object> manifest(List<BagPlan> bags, List<SlideRow> rows) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("generator", GENERATOR);
        m.put("openslide", Slide.libraryVersion());
        m.put("tile_size", tiling.tileSize());
        m.put("overlap", tiling.overlap());
        m.put("target_mpp", tiling.targetMpp());
        m.put("slide_mpp", tiling.slideMpp());
        m.put("tissue", TileSiteFiles.ordered("method", "otsu on HSV saturation", "min_saturation",
                tiling.minSaturation(), "min_tissue_per_tile", tiling.minTissue(), "thumbnail_side",
                tiling.thumbnailSide()));
        m.put("max_tiles_per_slide", tiling.maxTilesPerSlide());
        m.put("seed", tiling.seed());
        m.put("tile_format", TileSiteFiles.ordered("channels", 3, "size", tiling.tileSize()));
        m.put("bags", bags.size());
        m.put("positive_bags", bags.stream().filter(b -> b.label() == 1).count());
        m.put("slides", rows.size());
        m.put("tiles", rows.stream().mapToLong(r -> r.plan().tiles().size()).sum());
        return m;
    }
}
