package org.fedmil.data.tiles;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.fedmil.data.OutputFolder;
import org.fedmil.data.SourceDataException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fedmil data tiles}: images → a tile site folder. */
@Command(name = "tiles", mixinStandardHelpOptions = true, version = TileCutter.GENERATOR,
        description = {"Cuts images (PNG, JPEG, TIFF incl. 16-bit and multi-page) into tile bags and writes them as "
                + "one site folder: DIR/bags.csv, DIR/tiles/<bag_id>/NNN.png, DIR/" + TileCutter.REPORT
                + " (per image: tiles cut, dropped as background, kept, written), DIR/" + TileCutter.ORIGINS
                + " and DIR/" + TileCutter.MANIFEST + ".",
                "Input: a folder with one sub-folder per class (--positive names the positive one), or a CSV with "
                        + "a header and columns image,label (and a patient column with --patient-column: one bag "
                        + "per patient). One bag per image otherwise; every page of a multi-page TIFF is one more "
                        + "image of the bag. See docs/data-format.md."})
public final class TilesCommand implements Callable<Integer> {

    private static final int MAX_IMAGE_LINES = 40;

    @Spec
    CommandSpec spec;

    @Option(names = "--input", required = true, paramLabel = "PATH",
            description = "A folder of class sub-folders (e.g. benign/, malignant/), or a .csv of image,label rows.")
    Path input;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output site folder.")
    Path out;

    @Option(names = "--tile-size", required = true, paramLabel = "PX", description = "Tile side in pixels.")
    int tileSize;

    @Option(names = "--stride", paramLabel = "PX",
            description = "Distance between tile origins (default: the tile size, i.e. adjacent tiles).")
    Integer stride;

    @Mixin
    LabelledInputOptions labels;

    @Option(names = "--image-column", paramLabel = "NAME", defaultValue = "image",
            description = "CSV column of image paths, relative to the CSV's folder (default: ${DEFAULT-VALUE}).")
    String imageColumn;

    @Option(names = "--background", paramLabel = "MODE", defaultValue = "white",
            description = "Background filter: white (bright-field, e.g. H&E), dark (ultrasound, X-ray, "
                    + "fluorescence) or off (default: ${DEFAULT-VALUE}).")
    String background;

    @Option(names = "--max-background", paramLabel = "F", defaultValue = "0.5",
            description = "A tile is dropped when more than this fraction of its pixels is background; 1 keeps "
                    + "every tile (default: ${DEFAULT-VALUE}).")
    double maxBackground;

    @Option(names = "--white-threshold", paramLabel = "V", defaultValue = "0.85",
            description = "white: a pixel whose every channel is >= V (0-1; 0.85 = 217/255) is background "
                    + "(default: ${DEFAULT-VALUE}).")
    double white;

    @Option(names = "--saturation-threshold", paramLabel = "S", defaultValue = "0.07",
            description = "white, colour images: a pixel with HSV saturation < S is background; 0 turns the rule "
                    + "off (default: ${DEFAULT-VALUE}).")
    double saturation;

    @Option(names = "--dark-threshold", paramLabel = "V", defaultValue = "0.08",
            description = "dark: a pixel whose every channel is <= V (0.08 = 20/255) is background "
                    + "(default: ${DEFAULT-VALUE}).")
    double dark;

    @Option(names = "--max-tiles", paramLabel = "N", defaultValue = "0",
            description = "Most tiles per bag, a seeded random subset in reading order; 0 keeps all "
                    + "(default: ${DEFAULT-VALUE}).")
    int maxTiles;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the --max-tiles choice "
            + "(default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--scale-16bit", paramLabel = "HOW", defaultValue = "depth",
            description = "Samples of more than 8 bits: depth (v / 65535 for 16-bit), image (each image from its "
                    + "own min to max) or a maximum such as 4095 (default: ${DEFAULT-VALUE}).")
    String scale16;

    @Option(names = "--force", description = "Write into DIR even if it is not empty (its bags.csv and tiles/ are "
            + "replaced).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!OutputFolder.usable(out, force, "tiles", err)) {
            return 2;
        }
        TilesReport report;
        try {
            TileCutter.Config config = new TileCutter.Config(tileSize, stride == null ? tileSize : stride, filter(),
                    maxTiles, seed, HighDepthScale.parse(scale16));
            report = new TileCutter(config).run(labels.plans(input, imageColumn, ImageInputs.EXTENSIONS), out);
        } catch (SourceDataException | IllegalArgumentException e) {
            err.println("tiles: " + e.getMessage());
            err.flush();
            return 2;
        }
        PrintWriter o = spec.commandLine().getOut();
        o.print(report.summary(MAX_IMAGE_LINES));
        report.warnings().forEach(err::println);
        err.flush();
        o.println("wrote " + report.bags().size() + " bags to " + out.toAbsolutePath() + " (per-image counts in "
                + TileCutter.REPORT + "); load it with tile format channels " + report.channels() + ", size "
                + tileSize);
        o.flush();
        return 0;
    }

    private BackgroundFilter filter() {
        BackgroundFilter.Mode mode;
        try {
            mode = BackgroundFilter.Mode.valueOf(background.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--background must be white, dark or off, got '" + background + "'");
        }
        return new BackgroundFilter(mode, white, saturation, dark, maxBackground);
    }

}
