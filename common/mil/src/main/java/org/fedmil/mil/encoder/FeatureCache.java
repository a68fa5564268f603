package org.fedmil.mil.encoder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import org.fedmil.mil.data.Npy;
import org.fedmil.util.AtomicFiles;

/**
 * Features of tile bags already computed, on disk: {@code <root>/<encoder sha256>/<bag_id>.npy} with a
 * {@code .key} beside it, the SHA-256 of what the features were computed from (the encoder's hash, the
 * normalisation, the tile format, and each tile's name, size and modification time). A changed encoder is another
 * folder; a changed, added or removed tile changes the key, so the bag is computed again. Both files are written
 * atomically, the key last, so an interrupted write is a miss, never a wrong hit.
 */
public final class FeatureCache {

    private final Path dir;

    public FeatureCache(Path root, String encoderSha256) {
        this.dir = root.resolve(encoderSha256);
    }

    /** The key of a bag's features: what they depend on, hashed. */
    public static String key(String encoderSha256, TileNormalisation normalisation, int channels, int size,
                             List<Path> tiles) throws IOException {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update((encoderSha256 + "|" + normalisation.configName() + "|" + channels + "|" + size + "\n")
                    .getBytes(StandardCharsets.UTF_8));
            for (Path t : tiles) {
                d.update((t.getFileName() + "|" + Files.size(t) + "|" + Files.getLastModifiedTime(t).toMillis()
                        + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The cached features of a bag, if present and computed from exactly this key. */
    public Optional<Path> get(String bagId, String key) throws IOException {
        Path keyFile = dir.resolve(bagId + ".key");
        Path npy = dir.resolve(bagId + ".npy");
        if (Files.isRegularFile(keyFile) && Files.isRegularFile(npy)
                && Files.readString(keyFile, StandardCharsets.UTF_8).strip().equals(key)) {
            return Optional.of(npy);
        }
        return Optional.empty();
    }

    /** Stores a bag's features under its key; returns the .npy file. */
    public Path put(String bagId, String key, Npy.Matrix features) throws IOException {
        Files.createDirectories(dir);
        Path keyFile = dir.resolve(bagId + ".key");
        Files.deleteIfExists(keyFile); // a stale key must not vouch for the new file while it is written
        Path npy = dir.resolve(bagId + ".npy");
        Npy.write(npy, features);
        byte[] k = key.getBytes(StandardCharsets.UTF_8);
        AtomicFiles.write(keyFile, o -> o.write(k));
        return npy;
    }
}
