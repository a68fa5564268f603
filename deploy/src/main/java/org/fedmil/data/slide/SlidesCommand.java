package org.fedmil.data.slide;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.fedmil.data.OutputFolder;
import org.fedmil.data.SourceDataException;
import org.fedmil.data.tiles.LabelledInputOptions;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedmil data slides}: whole-slide images → a tile site folder, tissue only, at a chosen resolution. */
@Command(name = "slides", mixinStandardHelpOptions = true, version = SlideCutter.GENERATOR,
        description = {"Cuts whole-slide images (read with OpenSlide: " + Slide.FORMATS + ") into tissue tiles at "
                + "a chosen resolution and writes one site folder: DIR/bags.csv, DIR/tiles/<bag_id>/NNNN.png, DIR/"
                + SlideCutter.REPORT + " (per slide: size, resolution, level read, tissue, tiles), DIR/"
                + SlideCutter.ORIGINS + " (each tile's slide and level-0 rectangle, for heatmaps) and DIR/"
                + SlideCutter.MANIFEST + ".",
                "Tissue is found on a thumbnail (Otsu on HSV saturation, specks and holes smaller than a tile "
                        + "cleaned); a tile is kept when at least --min-tissue of it is tissue. One slide and one tile "
                        + "at a time: memory does not grow with the slide. Needs Debian's libopenslide0.",
                "Input: a folder with one sub-folder per class (--positive names the positive one), or a CSV with "
                        + "columns slide,label (and --patient-column: one bag per patient). See docs/data-format.md."})
public final class SlidesCommand implements Callable<Integer> {

    /** Slide file endings looked for in class folders (a CSV may name any file OpenSlide reads). */
    static final List<String> ENDINGS = List.of(".svs", ".tif", ".tiff", ".ndpi", ".vms", ".vmu", ".scn", ".mrxs",
            ".svslide", ".bif");

    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "A folder of class sub-folders of slides, or a .csv of slide,label rows.")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output site folder.")
    Path out;

    @Option(names = "--tile-size", required = true, paramLabel = "PX", description = "Tile side in pixels, as "
            + "written (e.g. 224 for ImageNet encoders).")
    int tileSize;

    @Option(names = "--target-mpp", paramLabel = "UM", description = "Micrometres per tile pixel, e.g. 0.5 (20×) or "
            + "1.0 (10×); tiles are read from the nearest finer pyramid level and shrunk by area averaging. Without "
            + "it, level-0 pixels are tiled as they are, whatever each slide's scan resolution.")
    Double targetMpp;

    @Option(names = "--slide-mpp", paramLabel = "UM", description = "Level-0 resolution of slides that do not state "
            + "one (µm per pixel); a slide without one is an error when --target-mpp is given.")
    Double slideMpp;

    @Option(names = "--overlap", paramLabel = "PX", defaultValue = "0",
            description = "Pixels shared by neighbouring tiles (default: ${DEFAULT-VALUE}).")
    int overlap;

    @Option(names = "--min-tissue", paramLabel = "F", defaultValue = "" + SlideTiling.DEFAULT_MIN_TISSUE,
            description = "Keep a tile when at least this fraction of it is tissue (default: ${DEFAULT-VALUE}).")
    double minTissue;

    @Option(names = "--min-saturation", paramLabel = "S", defaultValue = "" + SlideTiling.DEFAULT_MIN_SATURATION,
            description = "Lowest saturation threshold (0-1) tissue detection may use; lower it for pale stains "
                    + "(default: ${DEFAULT-VALUE}).")
    double minSaturation;

    @Option(names = "--thumbnail-side", paramLabel = "PX", defaultValue = "" + SlideTiling.DEFAULT_THUMBNAIL_SIDE,
            description = "Longest side of the thumbnail tissue is found on (default: ${DEFAULT-VALUE}).")
    int thumbnailSide;

    @Option(names = "--max-tiles", paramLabel = "N", defaultValue = "0",
            description = "Most tiles per slide, a seeded random subset in reading order; 0 keeps all "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxTiles;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1",
            description = "Seed of the --max-tiles choice (default: ${DEFAULT-VALUE}).")
    long seed;

    @Mixin
    LabelledInputOptions labels;

    @Option(names = "--slide-column", paramLabel = "NAME", defaultValue = "slide",
            description = "CSV column of slide paths, relative to the CSV's folder (default: ${DEFAULT-VALUE}).")
    String slideColumn;

    @Option(names = "--force", description = "Write into DIR even if it is not empty (its bags.csv and tiles/ are "
            + "replaced).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!OutputFolder.usable(out, force, "slides", err)) {
            return 2;
        }
        List<SlideCutter.SlideRow> rows;
        try {
            SlideTiling tiling = new SlideTiling(tileSize, overlap, targetMpp, slideMpp, minTissue, minSaturation,
                    thumbnailSide, maxTiles, seed);
            rows = new SlideCutter(tiling).run(labels.plans(input, slideColumn, ENDINGS), out);
        } catch (SourceDataException | IllegalArgumentException | OpenSlideMissingException e) {
            err.println("slides: " + e.getMessage());
            err.flush();
            return 2;
        }
        PrintWriter o = spec.commandLine().getOut();
        o.printf(Locale.ROOT, "%-36s %-20s %8s %6s %7s %8s %7s%n", "slide", "bag", "mpp", "level", "tissue", "tiles",
                "wrote");
        for (SlideCutter.SlideRow r : rows) {
            SlidePlan p = r.plan();
            o.printf(Locale.ROOT, "%-36s %-20s %8s %6d %6.1f%% %8d %7d%n", r.slide(), r.bagId(),
                    Double.isNaN(p.mpp()) ? "-" : String.format(Locale.ROOT, "%.3f", p.mpp()), p.level(),
                    100 * p.tissueFraction(), p.tissueTiles(), p.tiles().size());
        }
        long bags = rows.stream().map(SlideCutter.SlideRow::bagId).distinct().count();
        o.println("wrote " + bags + " bags (" + rows.stream().mapToLong(r -> r.plan().tiles().size()).sum()
                + " tiles from " + rows.size() + " slides) to " + out.toAbsolutePath() + "; load it with tile format "
                + "channels 3, size " + tileSize);
        o.flush();
        return 0;
    }

}
