package org.fedmil.privacy;

import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;

/** The one place a noise sampler's cryptographically strong source is made: the platform's DRBG. */
public final class StrongRandom {

    private StrongRandom() {
    }

    /**
     * A fresh {@code SecureRandom.getInstance("DRBG")}, seeded by the platform; {@code purpose} names what needs
     * it in the error a JVM without one raises.
     */
    public static SecureRandom drbg(String purpose) {
        try {
            return SecureRandom.getInstance("DRBG");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this JVM offers no DRBG SecureRandom (Java 9+ should); " + purpose
                    + " needs a cryptographically strong source", e);
        }
    }
}
