package org.fedmil.data.dicom;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.fedmil.util.AtomicFiles;

/**
 * Bag ids from DICOM UIDs, one way: HMAC-SHA-256 under a key kept at the site. A plain hash of a UID could be
 * reversed by hashing the UIDs a hospital's PACS holds; without the key it cannot. The same key gives the same ids,
 * so keep it to export more cases of the same patients (or new cases to predict) under stable ids.
 */
public final class BagIds {

    public static final String DEFAULT_KEY_FILE = "bag_id.key";

    private final Mac mac;

    private BagIds(byte[] key) {
        try {
            mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every Java runtime", e);
        }
    }

    /** The key in {@code file}, made (32 random bytes, owner-only) when it does not exist yet. */
    public static BagIds fromKeyFile(Path file) throws IOException {
        if (!Files.exists(file)) {
            byte[] key = new byte[32];
            new SecureRandom().nextBytes(key);
            String hex = HexFormat.of().formatHex(key) + "\n";
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.write(file, o -> o.write(hex.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
            try {
                Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException e) {
                // not a POSIX file system: its own permissions apply
            }
        }
        String hex = Files.readString(file).strip();
        try {
            byte[] key = HexFormat.of().parseHex(hex);
            if (key.length < 16) {
                throw new IllegalArgumentException("too short");
            }
            return new BagIds(key);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": not a bag id key (64 hex digits expected); delete it to make "
                    + "a new one (the bags' ids will change) or restore the one the earlier export used");
        }
    }

    /** "s" (series) or "t" (study) and 20 hex digits of the keyed hash of {@code uid}. */
    public synchronized String of(String uid, DicomBags.BagBy by) {
        byte[] h = mac.doFinal(uid.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        return (by == DicomBags.BagBy.SERIES ? "s" : "t") + HexFormat.of().formatHex(h, 0, 10);
    }
}
