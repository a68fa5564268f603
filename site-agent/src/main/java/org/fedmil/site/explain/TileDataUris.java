package org.fedmil.site.explain;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javax.imageio.ImageIO;

/**
 * Turns tile files into {@code data:} URIs, so the explanation page carries its images inside itself and a
 * browser opening it fetches nothing.
 */
public final class TileDataUris {

    /** Formats every browser shows, embedded byte for byte. SVG is left out on purpose: it can carry script. */
    private static final Map<String, String> BROWSER_FORMATS = Map.of(
            "png", "image/png", "jpg", "image/jpeg", "jpeg", "image/jpeg", "gif", "image/gif",
            "webp", "image/webp", "bmp", "image/bmp");

    private TileDataUris() {
    }

    /**
     * The tile as a data URI: browser formats as they are, anything else Java can decode (e.g. TIFF) re-encoded
     * as PNG; empty when the file is missing or not an image.
     */
    public static Optional<String> dataUri(Path tile) {
        String name = tile.getFileName().toString();
        String extension = name.substring(name.lastIndexOf('.') + 1).toLowerCase(Locale.ROOT);
        try {
            String mime = BROWSER_FORMATS.get(extension);
            if (mime != null) {
                return Optional.of(uri(mime, Files.readAllBytes(tile)));
            }
            BufferedImage image = ImageIO.read(tile.toFile());
            if (image == null) {
                return Optional.empty();
            }
            ByteArrayOutputStream png = new ByteArrayOutputStream();
            ImageIO.write(image, "png", png);
            return Optional.of(uri("image/png", png.toByteArray()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private static String uri(String mime, byte[] bytes) {
        return "data:" + mime + ";base64," + Base64.getEncoder().encodeToString(bytes);
    }
}
