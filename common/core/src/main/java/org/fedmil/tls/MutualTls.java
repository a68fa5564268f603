package org.fedmil.tls;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettySslContextChannelCredentials;
import io.grpc.netty.NettySslContextServerCredentials;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.CertificateExpiredException;
import java.security.cert.CertificateNotYetValidException;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import javax.net.ssl.SSLException;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.pki.PkiException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC credentials for the consortium's mutual TLS: each side presents a certificate of the
 * consortium CA and trusts nothing else, not even the JDK's public roots.
 *
 * <p>Built from a Netty {@link SslContext} rather than {@code TlsServerCredentials}, because
 * only the SslContext lets us pin the protocol versions; everything else (ALPN h2, HTTP/2
 * cipher suites, hostname verification on the client) is what {@link GrpcSslContexts} sets up
 * for TlsServerCredentials too.
 */
public final class MutualTls {

    /** TLS 1.3, and 1.2 for sites whose JDK or middlebox still needs it; nothing older. */
    public static final List<String> PROTOCOLS = List.of("TLSv1.3", "TLSv1.2");

    /**
     * The native libraries Netty found for this process, as the coordinator prints them at start-up: "BoringSSL"
     * (netty-tcnative) or "JDK TLS", and "epoll" (netty-transport-native-epoll) or "NIO". Both native ones are in the
     * distribution's {@code lib/} for Linux x86-64 and are used wherever they load; elsewhere gRPC falls back to the
     * JDK's TLS and NIO silently, which works but moves fewer bytes per CPU-second (docs/benchmarks.md, transport).
     */
    public static String nettyNatives() {
        return (io.netty.handler.ssl.OpenSsl.isAvailable() ? "BoringSSL" : "JDK TLS") + ", "
                + (epollAvailable() ? "epoll" : "NIO");
    }

    private static boolean epollAvailable() {
        try {
            // by name: the epoll classes are a runtime dependency of the distribution only
            return (Boolean) Class.forName("io.netty.channel.epoll.Epoll").getMethod("isAvailable").invoke(null);
        } catch (ReflectiveOperationException | LinkageError e) {
            return false;
        }
    }

    private static final Logger log = LoggerFactory.getLogger(MutualTls.class);
    private static final Duration EXPIRY_WARNING = Duration.ofDays(30);
    private static final String SERVER_AUTH = KeyPurposeId.id_kp_serverAuth.getId();
    private static final String CLIENT_AUTH = KeyPurposeId.id_kp_clientAuth.getId();

    private MutualTls() {
    }

    /** The coordinator's side: requires every caller to present a certificate of {@code ca}. */
    public static ServerCredentials serverCredentials(Path cert, Path key, Path ca) {
        return serverCredentials(cert, key, ca, chain -> { });
    }

    /**
     * As {@link #serverCredentials(Path, Path, Path)}, with {@code check} told of every client certificate chain
     * the consortium CA admitted, during the handshake; it may refuse the handshake by throwing (a revoked site).
     *
     * <p>The coordinator's own certificate and key are re-read when {@code cert} or {@code key} change on disk
     * (checked at each handshake, see {@link ReloadingKeyManager}): a renewed certificate is presented on the
     * next new connection, without a restart.
     */
    public static ServerCredentials serverCredentials(Path cert, Path key, Path ca, ClientCheck check) {
        String which = "the coordinator needs the folder from `fedmil pki issue coordinator --host ...`";
        Material m = Material.load(cert, key, ca, SERVER_AUTH, which);
        ReloadingKeyManager keys = new ReloadingKeyManager(cert, key, m.key, m.chain,
                () -> Material.load(cert, key, ca, SERVER_AUTH, which).identity());
        SslContextBuilder builder = GrpcSslContexts.configure(SslContextBuilder.forServer(keys))
                .trustManager(new CheckedTrustManager(caTrustManager(m.trusted), chain -> { }, check))
                .clientAuth(ClientAuth.REQUIRE)
                .protocols(PROTOCOLS);
        return NettySslContextServerCredentials.create(build(builder, cert));
    }

    /** Told of a client's certificate chain the CA admitted; throws to refuse it. */
    @FunctionalInterface
    public interface ClientCheck {
        void admitted(X509Certificate[] chain) throws java.security.cert.CertificateException;
    }

    public static ServerCredentials serverCredentials(PartyCredentials credentials) {
        return serverCredentials(credentials.cert(), credentials.key(), credentials.ca());
    }

    /**
     * A site's or admin's side: presents its certificate, trusts only {@code ca}, and checks
     * that the coordinator's certificate names the host dialled.
     */
    public static ChannelCredentials channelCredentials(Path cert, Path key, Path ca) {
        return channelCredentials(cert, key, ca, chain -> { });
    }

    /**
     * As {@link #channelCredentials(Path, Path, Path)}, with {@code check} told of every coordinator certificate
     * chain that the consortium CA and the host name check admitted, during the handshake, before any request
     * byte is sent; it may refuse the handshake by throwing (a pinned fingerprint that differs).
     */
    public static ChannelCredentials channelCredentials(Path cert, Path key, Path ca, ServerCheck check) {
        String which = "a site needs the folder from `fedmil pki issue site NAME`, an admin the one from "
                + "`fedmil pki issue admin NAME`";
        Material m = Material.load(cert, key, ca, CLIENT_AUTH, which);
        // a renewed certificate on disk is presented on the next new connection (see ReloadingKeyManager)
        ReloadingKeyManager keys = new ReloadingKeyManager(cert, key, m.key, m.chain,
                () -> Material.load(cert, key, ca, CLIENT_AUTH, which).identity());
        SslContextBuilder builder = GrpcSslContexts.forClient()
                .keyManager(keys)
                .trustManager(new CheckedTrustManager(caTrustManager(m.trusted), check, chain -> { }))
                .protocols(PROTOCOLS);
        return NettySslContextChannelCredentials.create(withoutResumption(build(builder, cert)));
    }

    /** Told of a coordinator's certificate chain the CA admitted; throws to refuse it. */
    @FunctionalInterface
    public interface ServerCheck {
        void admitted(X509Certificate[] chain) throws java.security.cert.CertificateException;
    }

    private static javax.net.ssl.X509ExtendedTrustManager caTrustManager(X509Certificate[] trusted) {
        try {
            java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
            store.load(null, null);
            for (int i = 0; i < trusted.length; i++) {
                store.setCertificateEntry("ca-" + i, trusted[i]);
            }
            javax.net.ssl.TrustManagerFactory factory = javax.net.ssl.TrustManagerFactory.getInstance(
                    javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            for (javax.net.ssl.TrustManager tm : factory.getTrustManagers()) {
                if (tm instanceof javax.net.ssl.X509ExtendedTrustManager x) {
                    return x;
                }
            }
            throw new IllegalStateException("the JDK offers no X509ExtendedTrustManager");
        } catch (GeneralSecurityException | IOException e) {
            throw new PkiException("cannot build a trust store of the consortium CA: " + e.getMessage(), e);
        }
    }

    /** The CA's own checks (chain, validity, host name through the engine), then {@code check}. */
    private static final class CheckedTrustManager extends javax.net.ssl.X509ExtendedTrustManager {
        private final javax.net.ssl.X509ExtendedTrustManager ca;
        private final ServerCheck check;
        private final ClientCheck clientCheck;

        CheckedTrustManager(javax.net.ssl.X509ExtendedTrustManager ca, ServerCheck check, ClientCheck clientCheck) {
            this.ca = ca;
            this.check = check;
            this.clientCheck = clientCheck;
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            ca.checkServerTrusted(chain, authType, socket);
            check.admitted(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            ca.checkServerTrusted(chain, authType, engine);
            check.admitted(chain);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType)
                throws java.security.cert.CertificateException {
            ca.checkServerTrusted(chain, authType);
            check.admitted(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, java.net.Socket socket)
                throws java.security.cert.CertificateException {
            ca.checkClientTrusted(chain, authType, socket);
            clientCheck.admitted(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, javax.net.ssl.SSLEngine engine)
                throws java.security.cert.CertificateException {
            ca.checkClientTrusted(chain, authType, engine);
            clientCheck.admitted(chain);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType)
                throws java.security.cert.CertificateException {
            ca.checkClientTrusted(chain, authType);
            clientCheck.admitted(chain);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return ca.getAcceptedIssuers();
        }
    }

    public static ChannelCredentials channelCredentials(PartyCredentials credentials) {
        return channelCredentials(credentials.cert(), credentials.key(), credentials.ca());
    }

    /**
     * Every new connection makes a full handshake: a resumed TLS session would carry the certificates of the
     * connection it came from, so a renewed certificate (ours or the coordinator's) would not be presented, and
     * the coordinator's certificate would not be checked against a pin again. The client's session cache is
     * emptied before each handshake starts (the JDK looks it up when the handshake starts, not when the engine
     * is made). An agent holds one long connection, so the cost is one full handshake per reconnection.
     */
    private static SslContext withoutResumption(SslContext context) {
        return new io.netty.handler.ssl.DelegatingSslContext(context) {
            @Override
            protected void initEngine(javax.net.ssl.SSLEngine engine) {
                javax.net.ssl.SSLSessionContext sessions = context.sessionContext();
                if (sessions == null) {
                    return;
                }
                java.util.Enumeration<byte[]> ids = sessions.getIds();
                while (ids.hasMoreElements()) {
                    javax.net.ssl.SSLSession session = sessions.getSession(ids.nextElement());
                    if (session != null) {
                        session.invalidate();
                    }
                }
            }
        };
    }

    private static SslContext build(SslContextBuilder builder, Path cert) {
        try {
            return builder.build();
        } catch (SSLException | IllegalArgumentException e) {
            throw new PkiException("cannot set up TLS with " + cert + " and the files next to it: " + e.getMessage(), e);
        }
    }

    /** What the handshake needs, checked up front so mistakes fail at startup with file names. */
    private record Material(PrivateKey key, X509Certificate[] chain, X509Certificate[] trusted) {

        ReloadingKeyManager.Identity identity() {
            return new ReloadingKeyManager.Identity(key, chain);
        }

        static Material load(Path cert, Path key, Path ca, String purpose, String whichFolder) {
            List<X509Certificate> chain = PemFiles.readCertificates(cert);
            List<X509Certificate> trusted = PemFiles.readCertificates(ca);
            PrivateKey privateKey = PemFiles.readPrivateKey(key);
            X509Certificate leaf = chain.get(0);
            PemFiles.requireMatchingKey(leaf, cert, privateKey, key);
            requireIssuedBy(leaf, cert, trusted, ca);
            requirePurpose(leaf, cert, purpose, whichFolder);
            requireCurrent(leaf, cert);
            warnIfReadableByOthers(key);
            return new Material(privateKey, chain.toArray(X509Certificate[]::new),
                    trusted.toArray(X509Certificate[]::new));
        }

        private static void requireIssuedBy(X509Certificate leaf, Path cert, List<X509Certificate> trusted, Path ca) {
            for (X509Certificate authority : trusted) {
                try {
                    leaf.verify(authority.getPublicKey());
                    return;
                } catch (GeneralSecurityException e) {
                    // not this one; try the next CA certificate in the file
                }
            }
            throw new PkiException(cert + " was not issued by the consortium CA in " + ca
                    + "; the peer would reject it. Use cert.pem and ca.pem from the same folder the operator issued");
        }

        private static void requirePurpose(X509Certificate leaf, Path cert, String purpose, String whichFolder) {
            List<String> purposes;
            try {
                purposes = leaf.getExtendedKeyUsage();
            } catch (CertificateParsingException e) {
                throw new PkiException(cert + " has an unreadable extended key usage: " + e.getMessage(), e);
            }
            if (purposes != null && !purposes.contains(purpose)) {
                throw new PkiException(cert + " (" + leaf.getSubjectX500Principal().getName() + ") is not meant for "
                        + (purpose.equals(SERVER_AUTH) ? "serving" : "dialling") + " TLS; " + whichFolder);
            }
        }

        private static void requireCurrent(X509Certificate leaf, Path cert) {
            try {
                leaf.checkValidity();
            } catch (CertificateExpiredException e) {
                throw new PkiException(cert + " expired on " + leaf.getNotAfter().toInstant()
                        + "; ask the consortium operator for a new certificate", e);
            } catch (CertificateNotYetValidException e) {
                throw new PkiException(cert + " is only valid from " + leaf.getNotBefore().toInstant()
                        + "; check this machine's clock", e);
            }
            Instant notAfter = leaf.getNotAfter().toInstant();
            if (notAfter.isBefore(Instant.now().plus(EXPIRY_WARNING))) {
                log.warn("{} expires on {}; ask the consortium operator for a new certificate soon", cert, notAfter);
            }
        }

        private static void warnIfReadableByOthers(Path key) {
            try {
                Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(key);
                if (permissions.stream().anyMatch(p -> p.name().startsWith("GROUP") || p.name().startsWith("OTHERS"))) {
                    // Only a warning: secret mounts (e.g. Kubernetes) are often 0644 inside a
                    // private volume, and refusing to start would not make the key safer.
                    log.warn("{} can be read by other users; run `chmod 600 {}`", key, key);
                }
            } catch (UnsupportedOperationException | IOException e) {
                // no POSIX permissions here (Windows): the folder ACLs protect the key
            }
        }
    }
}
