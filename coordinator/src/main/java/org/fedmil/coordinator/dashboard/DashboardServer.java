package org.fedmil.coordinator.dashboard;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.fedmil.config.TlsFiles;
import org.fedmil.pki.PemFiles;
import org.fedmil.tls.MutualTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dashboard's HTTP server (the JDK's com.sun.net.httpserver): read-only, GET and HEAD only (HEAD answers the
 * headers a GET would get, without the body).
 * <pre>
 * GET /               the page (HTML; its live part is fetched again every 2 s)
 * GET /fragment       the live part of the page (HTML)
 * GET /api/state      the same state as JSON
 * GET /metrics        Prometheus text format
 * GET /dashboard.js, /dashboard.css   the page's own script and style (nothing is loaded from elsewhere)
 * </pre>
 * Any other method is answered 405, any other path 404. On a loopback address it is plain HTTP; on any other address
 * it is HTTPS with the coordinator's certificate and key, or it does not start.
 */
public final class DashboardServer {

    private static final Logger log = LoggerFactory.getLogger(DashboardServer.class);
    private static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS)
            .registerModule(org.fedmil.mil.eval.MetricsJson.module()); // undefined metrics as null, not "NaN"

    /** Nothing but this server itself may be loaded or connected to by the page. */
    static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
            + "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

    private final HttpServer server;
    private final ExecutorService executor;
    private final boolean https;
    private final Supplier<DashboardState.Snapshot> state;
    private final Supplier<String> metrics;

    /**
     * @param tls the coordinator's certificate and key: used when {@code https}
     * @throws DashboardException when it cannot bind, or cannot use the key for HTTPS
     */
    public DashboardServer(String host, int port, boolean https, TlsFiles tls, Supplier<DashboardState.Snapshot> state,
                           Supplier<String> metrics) {
        this.https = https;
        this.state = state;
        this.metrics = metrics;
        InetSocketAddress address = new InetSocketAddress(host, port);
        try {
            if (https) {
                HttpsServer s = HttpsServer.create(address, 16);
                SSLContext context = sslContext(tls.cert(), tls.key());
                s.setHttpsConfigurator(new HttpsConfigurator(context) {
                    @Override
                    public void configure(HttpsParameters params) {
                        SSLParameters p = context.getDefaultSSLParameters();
                        p.setProtocols(MutualTls.PROTOCOLS.toArray(String[]::new));
                        p.setNeedClientAuth(false);
                        params.setSSLParameters(p);
                    }
                });
                server = s;
            } else {
                server = HttpServer.create(address, 16);
            }
        } catch (IOException e) {
            throw new DashboardException("dashboard: cannot listen on " + host + ":" + port + ": " + e.getMessage()
                    + " (set dashboard.port to a free port, or 0 for any)", e);
        }
        executor = Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "dashboard-http");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext("/", this::handle);
    }

    /**
     * The server for {@code dashboard.host}: plain HTTP on a loopback address, HTTPS elsewhere. A non-loopback
     * address without a usable certificate and key refuses to start.
     */
    public static DashboardServer forHost(String host, int port, TlsFiles tls, Supplier<DashboardState.Snapshot> state,
                                          Supplier<String> metrics) {
        boolean loopback;
        try {
            loopback = InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            throw new DashboardException("dashboard.host '" + host + "' does not resolve: " + e.getMessage());
        }
        if (!loopback && (tls == null || tls.cert() == null || tls.key() == null)) {
            throw new DashboardException("dashboard.host '" + host + "' is not a loopback address, so the dashboard "
                    + "must be served over HTTPS, and no certificate and key (tls.cert, tls.key) are configured; "
                    + "set dashboard.host: 127.0.0.1 and reach it through an SSH tunnel, or configure tls");
        }
        return new DashboardServer(host, port, !loopback, tls, state, metrics);
    }

    /** An SSL context presenting {@code certFile} (PEM, its chain after it) with {@code keyFile} (PKCS#8 PEM). */
    static SSLContext sslContext(Path certFile, Path keyFile) {
        try {
            List<X509Certificate> chain = PemFiles.readCertificates(certFile);
            PrivateKey key = PemFiles.readPrivateKey(keyFile);
            PemFiles.requireMatchingKey(chain.get(0), certFile, key, keyFile);
            char[] password = new char[0];
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("dashboard", key, password, chain.toArray(X509Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, password);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(kmf.getKeyManagers(), null, null);
            return context;
        } catch (RuntimeException | java.security.GeneralSecurityException | IOException e) {
            throw new DashboardException("dashboard: cannot serve HTTPS with certificate " + certFile + " and key "
                    + keyFile + ": " + e.getMessage(), e);
        }
    }

    public DashboardServer start() {
        server.start();
        return this;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public boolean https() {
        return https;
    }

    /** The page's address, e.g. http://127.0.0.1:8080/. */
    public String url() {
        String host = server.getAddress().getHostString();
        if (host.contains(":")) {
            host = "[" + host + "]";
        }
        return (https ? "https://" : "http://") + host + ":" + port() + "/";
    }

    public void stop() {
        server.stop(0);
        executor.shutdownNow();
    }

    private void handle(HttpExchange exchange) throws IOException {
        // a request body is never read: nothing a client sends is buffered
        try (exchange) {
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            exchange.getResponseHeaders().set("Cache-Control", "no-store");
            exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                send(exchange, 405, "text/plain; charset=utf-8", "405 the dashboard is read-only: GET and HEAD only\n");
                return;
            }
            String path = exchange.getRequestURI().getPath();
            switch (path) {
                case "/", "/index.html" -> {
                    exchange.getResponseHeaders().set("Content-Security-Policy", CSP);
                    exchange.getResponseHeaders().set("X-Frame-Options", "DENY");
                    send(exchange, 200, "text/html; charset=utf-8", DashboardPage.page(state.get()));
                }
                case "/fragment" -> send(exchange, 200, "text/html; charset=utf-8", DashboardPage.fragment(state.get()));
                case "/api/state" -> send(exchange, 200, "application/json",
                        JSON.writeValueAsString(state.get()));
                case "/metrics" -> send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get());
                case "/dashboard.js" -> send(exchange, 200, "text/javascript; charset=utf-8", resource("dashboard.js"));
                case "/dashboard.css" -> send(exchange, 200, "text/css; charset=utf-8", resource("dashboard.css"));
                default -> send(exchange, 404, "text/plain; charset=utf-8", "404 not found\n");
            }
        } catch (RuntimeException e) {
            log.warn("dashboard request {} failed", exchange.getRequestURI(), e);
        }
    }

    private static String resource(String name) {
        try (InputStream in = DashboardServer.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        if (exchange.getRequestMethod().equals("HEAD")) {
            // the headers a GET would get (monitoring probes check the status and the length), no body
            exchange.getResponseHeaders().set("Content-Length", Integer.toString(bytes.length));
            exchange.sendResponseHeaders(status, -1);
            return;
        }
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
    }

    /** The dashboard cannot start as configured; the message says why and what to do. */
    public static final class DashboardException extends RuntimeException {
        DashboardException(String message) {
            super(message);
        }

        DashboardException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
