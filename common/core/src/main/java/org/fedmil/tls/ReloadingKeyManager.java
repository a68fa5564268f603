package org.fedmil.tls;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key manager that presents what {@code cert.pem} and {@code key.pem} hold <em>now</em>: at every handshake it
 * compares the two files' modification time, size and inode with those it last loaded, and when they changed it
 * loads and checks them again (key matches certificate, issued by the consortium CA, right purpose, current).
 * A renewed certificate is thus presented on the next new connection, without a restart; connections already
 * open keep the certificate they were opened with.
 *
 * <p>grpc-java's {@code io.grpc.util.AdvancedTlsX509KeyManager} offers the same through a timer thread that
 * re-reads the files every period; checking at the handshake instead needs no thread, takes effect on the very
 * next connection, and keeps FedMIL's checks: files that do not pass them (a key and a certificate caught
 * between two renames, a certificate of another CA) are not used, the previous identity stays, and a warning
 * names the file.
 */
final class ReloadingKeyManager extends X509ExtendedKeyManager {

    private static final Logger log = LoggerFactory.getLogger(ReloadingKeyManager.class);
    private static final String ALIAS = "fedmil";

    /** A private key and its certificate chain. */
    record Identity(PrivateKey key, X509Certificate[] chain) {
    }

    private record Stamp(Object certKey, long certTime, long certSize, Object keyKey, long keyTime, long keySize) {
    }

    private final Path certFile;
    private final Path keyFile;
    private final Supplier<Identity> loader;
    private volatile Identity current;
    private volatile Stamp loaded;

    ReloadingKeyManager(Path certFile, Path keyFile, PrivateKey key, X509Certificate[] chain,
                        Supplier<Identity> loader) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.loader = loader;
        this.current = new Identity(key, chain);
        this.loaded = stamp();
    }

    /** The certificate presented at the next handshake (after re-reading changed files). */
    X509Certificate certificate() {
        refresh();
        return current.chain()[0];
    }

    private synchronized void refresh() {
        Stamp now = stamp();
        if (now == null || now.equals(loaded)) {
            return;
        }
        try {
            Identity next = loader.get();
            String before = current.chain()[0].getSerialNumber().toString(16);
            current = next;
            loaded = now;
            log.info("{} changed: presenting certificate serial {} (was {}) on new connections", certFile,
                    next.chain()[0].getSerialNumber().toString(16), before);
        } catch (RuntimeException e) {
            // keep the previous identity; try again at the next handshake (the files may be mid-renewal)
            log.warn("{} or {} changed but cannot be used ({}); still presenting the previous certificate",
                    certFile, keyFile, e.getMessage());
        }
    }

    private Stamp stamp() {
        try {
            BasicFileAttributes c = Files.readAttributes(certFile, BasicFileAttributes.class);
            BasicFileAttributes k = Files.readAttributes(keyFile, BasicFileAttributes.class);
            return new Stamp(Objects.requireNonNullElse(c.fileKey(), ""), c.lastModifiedTime().toMillis(), c.size(),
                    Objects.requireNonNullElse(k.fileKey(), ""), k.lastModifiedTime().toMillis(), k.size());
        } catch (IOException e) {
            return null; // a file missing for a moment: keep what we have
        }
    }

    private String alias(String... keyTypes) {
        refresh();
        String algorithm = current.key().getAlgorithm();
        if (keyTypes == null || Arrays.stream(keyTypes).anyMatch(t -> t != null
                && (t.equalsIgnoreCase(algorithm) || t.startsWith(algorithm + "_")
                || ("EC".equals(algorithm) && t.startsWith("EC"))))) {
            return ALIAS;
        }
        return null;
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return alias(keyType);
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return alias(keyType);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return alias(keyTypes);
    }

    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return alias(keyTypes);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return new String[] {ALIAS};
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        return ALIAS.equals(alias) ? current.chain().clone() : null;
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        return ALIAS.equals(alias) ? current.key() : null;
    }
}
