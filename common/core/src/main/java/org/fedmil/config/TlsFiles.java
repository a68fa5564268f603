package org.fedmil.config;

import java.nio.file.Files;
import java.nio.file.Path;

/** The three PEM files a party presents in mutual TLS: its certificate, its private key and the consortium CA. */
public record TlsFiles(Path cert, Path key, Path ca) {

    /** Paths relative to the config file's folder; checks that each file exists so a start fails early and clearly. */
    public TlsFiles resolvedAgainst(Path configFile, String section) {
        TlsFiles r = new TlsFiles(ConfigFiles.resolve(configFile, cert), ConfigFiles.resolve(configFile, key),
                ConfigFiles.resolve(configFile, ca));
        r.requireFile(configFile, section + ".cert", r.cert);
        r.requireFile(configFile, section + ".key", r.key);
        r.requireFile(configFile, section + ".ca", r.ca);
        return r;
    }

    private void requireFile(Path configFile, String key, Path p) {
        if (p == null) {
            throw new ConfigException(configFile + ": key '" + key + "' is required (a PEM file written by 'fedmil pki issue')");
        }
        if (!Files.isReadable(p)) {
            throw new ConfigException(configFile + ": key '" + key + "' names " + p
                    + ", which does not exist or is not readable; issue it with 'fedmil pki issue'");
        }
    }
}
