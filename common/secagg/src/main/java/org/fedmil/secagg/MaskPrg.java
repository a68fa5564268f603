package org.fedmil.secagg;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.GeneralSecurityException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The pseudorandom generator that expands a 32-byte seed into a mask of ring elements: AES-256 in counter mode
 * from a zero counter, little-endian 8-byte words. Every seed keys exactly one expansion (seeds are fresh per pair
 * and round), so the fixed counter is safe; the JDK's AES uses AES-NI where the CPU has it.
 */
public final class MaskPrg {

    private static final int CHUNK_WORDS = 8192;

    private MaskPrg() {
    }

    /** acc[i] += sign · PRG(seed)[i] in Z_2^64, for sign +1 or −1. */
    public static void addMask(long[] acc, byte[] seed, int sign) {
        if (seed.length != 32) {
            throw new IllegalArgumentException("mask seeds are 32 bytes, got " + seed.length);
        }
        Cipher aes;
        try {
            aes = Cipher.getInstance("AES/CTR/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(new byte[16]));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-CTR is not available in this JDK", e);
        }
        byte[] zeros = new byte[CHUNK_WORDS * 8];
        byte[] stream = new byte[zeros.length];
        for (int from = 0; from < acc.length; from += CHUNK_WORDS) {
            int words = Math.min(CHUNK_WORDS, acc.length - from);
            try {
                aes.update(zeros, 0, words * 8, stream, 0);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("AES-CTR failed", e);
            }
            ByteBuffer b = ByteBuffer.wrap(stream, 0, words * 8).order(ByteOrder.LITTLE_ENDIAN);
            if (sign > 0) {
                for (int i = 0; i < words; i++) {
                    acc[from + i] += b.getLong();
                }
            } else {
                for (int i = 0; i < words; i++) {
                    acc[from + i] -= b.getLong();
                }
            }
        }
    }

    /** PRG(seed) of the given length. */
    public static long[] expand(byte[] seed, int length) {
        long[] out = new long[length];
        addMask(out, seed, +1);
        return out;
    }
}
