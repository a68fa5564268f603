package org.fedmil.util;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 helpers; digests travel as 32 raw bytes and are shown to people as lower-case hex. */
public final class Sha256 {

    private Sha256() {
    }

    public static MessageDigest newDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java 17 runtime provides SHA-256", e);
        }
    }

    public static byte[] of(byte[] data) {
        return newDigest().digest(data);
    }

    public static String hex(byte[] digest) {
        return HexFormat.of().formatHex(digest);
    }

    /** The first 12 hex digits: enough to tell models apart in a log line. */
    public static String shortHex(byte[] digest) {
        String h = hex(digest);
        return h.length() <= 12 ? h : h.substring(0, 12);
    }
}
