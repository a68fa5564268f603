package org.fedmil.pki;

import java.nio.file.Path;
import java.util.Objects;

/** Where the operator's PKI directory keeps each file; the single place that knows the layout. */
public record PkiLayout(Path root) {

    public PkiLayout {
        Objects.requireNonNull(root, "root");
    }

    public Path caDir() {
        return root.resolve("ca");
    }

    public Path caKey() {
        return caDir().resolve("ca.key.pem");
    }

    public Path caCert() {
        return caDir().resolve("ca.pem");
    }

    public Path coordinatorDir() {
        return root.resolve("coordinator");
    }

    public Path sitesDir() {
        return root.resolve("sites");
    }

    public Path adminsDir() {
        return root.resolve("admins");
    }

    public Path partyDir(PartyKind kind, String name) {
        return switch (kind) {
            case COORDINATOR -> coordinatorDir();
            case SITE -> sitesDir().resolve(name);
            case ADMIN -> adminsDir().resolve(name);
        };
    }
}
