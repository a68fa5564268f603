package org.fedmil.bench.mil;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.fedmil.data.split.SplitSource;

/**
 * The tile format of a tile data set when the user gives none: the first tile of up to {@value #SAMPLED_BAGS} bags
 * is read, and all must agree on a square size and on grey vs colour. Anything else is ambiguous and the user
 * is asked for --tile-size / --channels.
 */
final class TileFormatGuess {

    static final int SAMPLED_BAGS = 50;

    private TileFormatGuess() {
    }

    /**
     * @param size     the size given (0: infer)
     * @param channels the channels given (0: infer)
     * @return {channels, size}
     */
    static int[] of(SplitSource source, int size, int channels) {
        if (size > 0 && channels > 0) {
            return new int[] {channels, size};
        }
        int seenSize = 0;
        int seenChannels = 0;
        Path first = null;
        for (SplitSource.SourceBag bag : source.bags().subList(0, Math.min(SAMPLED_BAGS, source.bags().size()))) {
            Path tile = firstTile(source.bagPath(bag.id()));
            BufferedImage img = read(tile);
            int c = img.getColorModel().getNumColorComponents() == 1 ? 1 : 3;
            if (img.getWidth() != img.getHeight() && size == 0) {
                throw new IllegalArgumentException(tile + " is " + img.getWidth() + "×" + img.getHeight()
                        + " pixels, not square: the tile size is ambiguous; pass --tile-size (tiles are resized "
                        + "to it)");
            }
            if (first != null && size == 0 && img.getWidth() != seenSize) {
                throw new IllegalArgumentException("tiles differ in size (" + first + " is " + seenSize + " pixels, "
                        + tile + " " + img.getWidth() + "): the tile size is ambiguous; pass --tile-size");
            }
            if (first != null && channels == 0 && c != seenChannels) {
                throw new IllegalArgumentException("some tiles are grey and some colour (" + first + ", " + tile
                        + "): pass --channels 1 or 3");
            }
            first = first == null ? tile : first;
            seenSize = img.getWidth();
            seenChannels = c;
        }
        return new int[] {channels > 0 ? channels : seenChannels, size > 0 ? size : seenSize};
    }

    private static Path firstTile(Path folder) {
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> tiles = files.filter(p -> {
                String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
                return !n.startsWith(".") && (n.endsWith(".png") || n.endsWith(".jpg") || n.endsWith(".jpeg"));
            }).sorted().toList();
            return tiles.get(0);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot list " + folder, e);
        }
    }

    private static BufferedImage read(Path tile) {
        try {
            BufferedImage img = ImageIO.read(tile.toFile());
            if (img == null) {
                throw new IllegalArgumentException(tile + ": not a PNG or JPEG image; cannot infer the tile format "
                        + "from it: replace it, or pass --tile-size and --channels");
            }
            return img;
        } catch (IOException e) {
            throw new IllegalArgumentException(tile + ": cannot be read (" + e.getMessage() + "); pass --tile-size "
                    + "and --channels", e);
        }
    }
}
