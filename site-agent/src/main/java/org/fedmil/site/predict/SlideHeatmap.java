package org.fedmil.site.predict;

import java.awt.AlphaComposite;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.fedmil.data.slide.Slide;
import org.fedmil.data.slide.SlideCutter;
import org.fedmil.data.slide.SlideThumbnail;
import org.fedmil.data.tiles.CsvLine;
import org.fedmil.site.explain.InstanceExplanation;

/**
 * Attention over a slide's thumbnail: each tile of the bag drawn where it was cut ({@code tiles_origin.csv}, as
 * {@code fedmil data slides} writes it), coloured from blue (least attended in the bag) to red (most), over the
 * slide read again through OpenSlide. One PNG per slide of the bag.
 */
public final class SlideHeatmap {

    /** Where one tile came from: its slide (as the origins file names it) and level-0 square. */
    record Origin(String slide, long x, long y, long size) {
    }

    private static final int THUMBNAIL_SIDE = 1024;

    private final Path slidesRoot;
    /** bag id → tile file name → origin. */
    private final Map<String, Map<String, Origin>> origins;

    private SlideHeatmap(Path slidesRoot, Map<String, Map<String, Origin>> origins) {
        this.slidesRoot = slidesRoot;
        this.origins = origins;
    }

    /** The heatmap maker of a tile folder cut from slides, or null when the folder has no tile origins. */
    public static SlideHeatmap of(Path dataDir, Path slidesRoot) throws IOException {
        Path file = dataDir.resolve(SlideCutter.ORIGINS);
        if (!Files.exists(file)) {
            return null;
        }
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        if (lines.isEmpty() || !lines.get(0).startsWith("bag_id,tile,slide,x,y,size")) {
            return null; // a tiles_origin.csv of 'data tiles' (images, not slides): nothing to draw on
        }
        Map<String, Map<String, Origin>> byBag = new HashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isBlank()) {
                continue;
            }
            List<String> f = CsvLine.split(line);
            byBag.computeIfAbsent(f.get(0), k -> new HashMap<>()).put(f.get(1), new Origin(f.get(2),
                    Long.parseLong(f.get(3)), Long.parseLong(f.get(4)), Long.parseLong(f.get(5))));
        }
        return new SlideHeatmap(slidesRoot, byBag);
    }

    /** Writes {@code <out>/<bag_id>__<slide>.png} for each slide of the bag; returns the files written. */
    public List<Path> write(Prediction p, Path out) throws IOException {
        Map<String, Origin> tiles = origins.getOrDefault(p.bagId(), Map.of());
        Map<String, List<InstanceExplanation>> bySlide = new LinkedHashMap<>();
        float max = 0;
        for (InstanceExplanation i : p.instances()) {
            Origin o = tiles.get(i.name());
            if (o != null) {
                bySlide.computeIfAbsent(o.slide(), k -> new ArrayList<>()).add(i);
                max = Math.max(max, i.attention());
            }
        }
        List<Path> written = new ArrayList<>();
        Files.createDirectories(out);
        for (Map.Entry<String, List<InstanceExplanation>> e : bySlide.entrySet()) {
            Path slideFile = slidesRoot.resolve(e.getKey());
            SlideThumbnail thumb;
            try (Slide slide = Slide.open(slideFile)) {
                thumb = SlideThumbnail.of(slide, THUMBNAIL_SIDE);
            }
            BufferedImage image = new BufferedImage(thumb.width(), thumb.height(), BufferedImage.TYPE_INT_RGB);
            image.setRGB(0, 0, thumb.width(), thumb.height(), thumb.rgb(), 0, thumb.width());
            Graphics2D g = image.createGraphics();
            g.setComposite(AlphaComposite.getInstance(AlphaComposite.SRC_OVER, 0.55f));
            for (InstanceExplanation i : e.getValue()) {
                Origin o = tiles.get(i.name());
                g.setColor(colour(max > 0 ? i.attention() / max : 0));
                int x = (int) Math.floor(o.x() / thumb.scale());
                int y = (int) Math.floor(o.y() / thumb.scale());
                int s = (int) Math.max(1, Math.ceil(o.size() / thumb.scale()));
                g.fillRect(x, y, s, s);
            }
            g.dispose();
            String stem = Path.of(e.getKey()).getFileName().toString().replaceAll("\\.[^.]*$", "")
                    .replaceAll("[^A-Za-z0-9._-]", "_");
            Path png = out.resolve(p.bagId() + "__" + stem + ".png");
            ImageIO.write(image, "png", png.toFile());
            written.add(png);
        }
        return written;
    }

    /** Blue (0) through green to red (1). */
    static Color colour(float v) {
        float t = Math.max(0, Math.min(1, v));
        return Color.getHSBColor((1 - t) * 2 / 3f, 1f, 1f);
    }
}
