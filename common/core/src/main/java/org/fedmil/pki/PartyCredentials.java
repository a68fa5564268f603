package org.fedmil.pki;

import java.nio.file.Path;
import java.util.Objects;

/**
 * One party's folder as the CA issues it: its private key, its certificate and the consortium
 * CA certificate it trusts. The folder is what travels to the party, as a whole.
 */
public record PartyCredentials(Path dir, Path key, Path cert, Path ca) {

    public static final String KEY_FILE = "key.pem";
    public static final String CERT_FILE = "cert.pem";
    public static final String CA_FILE = "ca.pem";

    public PartyCredentials {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(cert, "cert");
        Objects.requireNonNull(ca, "ca");
    }

    /** The standard file names inside {@code dir}; does not check that they exist. */
    public static PartyCredentials in(Path dir) {
        return new PartyCredentials(dir, dir.resolve(KEY_FILE), dir.resolve(CERT_FILE), dir.resolve(CA_FILE));
    }
}
