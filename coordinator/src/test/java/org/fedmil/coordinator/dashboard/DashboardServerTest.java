package org.fedmil.coordinator.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Clock;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.fedmil.config.TlsFiles;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dashboard's HTTP server on loopback: routes, read-only, and HTTPS with the coordinator's key. */
class DashboardServerTest {

    private final DashboardState state = new DashboardState("fed-<1>", 3, 2, Clock.systemUTC());
    private final FederationMetrics metrics = new FederationMetrics("fed-1");
    private DashboardServer server;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop();
        }
    }

    private HttpResponse<String> send(HttpClient client, String method, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).method(method, HttpRequest.BodyPublishers.noBody())
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesThePageTheStateAndTheMetricsAndNothingButGet() throws Exception {
        state.roundCompleted(DashboardStateTest.result(0, List.of(), 0.5, 0.69), null);
        state.updateRefused("site-x", 1, UpdateRefusal.NOT_JOINED, "join first");
        server = DashboardServer.forHost("127.0.0.1", 0, null, state::snapshot, metrics::scrape).start();
        String base = server.url();
        assertThat(base).startsWith("http://127.0.0.1:");
        assertThat(server.https()).isFalse();

        HttpResponse<String> page = send(http, "GET", base);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValue(DashboardServer.CSP);
        assertThat(page.body()).contains("<svg id=\"plot-auc\"", "<table id=\"sites\"", "fed-&lt;1&gt;");
        assertThat(page.body()).as("nothing loaded from elsewhere").doesNotContain("http://", "https://", "//");

        HttpResponse<String> json = send(http, "GET", base + "api/state");
        assertThat(json.statusCode()).isEqualTo(200);
        assertThat(json.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(json.body()).contains("\"federationId\":\"fed-<1>\"", "\"kind\":\"NOT_JOINED\"");

        HttpResponse<String> scrape = send(http, "GET", base + "metrics");
        assertThat(scrape.statusCode()).isEqualTo(200);
        assertThat(scrape.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
        assertThat(scrape.body()).contains("fedmil_updates_accepted_total");

        assertThat(send(http, "GET", base + "dashboard.js").body()).contains("setInterval(refresh, 2000)");
        assertThat(send(http, "GET", base + "dashboard.css").statusCode()).isEqualTo(200);
        assertThat(send(http, "GET", base + "fragment").body()).contains("<table id=\"rounds\"");
        assertThat(send(http, "GET", base + "nope").statusCode()).isEqualTo(404);
        for (String method : List.of("POST", "PUT", "DELETE", "PATCH")) {
            HttpResponse<String> r = send(http, method, base + "api/state");
            assertThat(r.statusCode()).as(method).isEqualTo(405);
            assertThat(r.headers().firstValue("Allow")).hasValue("GET, HEAD");
        }
    }

    @Test
    void headIsAnsweredWithTheHeadersOfAGetAndNoBody() throws Exception {
        server = DashboardServer.forHost("127.0.0.1", 0, null, state::snapshot, metrics::scrape).start();
        for (String path : List.of("metrics", "", "api/state")) {
            HttpResponse<String> head = send(http, "HEAD", server.url() + path);
            assertThat(head.statusCode()).as("HEAD /" + path).isEqualTo(200);
            assertThat(head.body()).isEmpty();
            assertThat(head.headers().firstValue("Content-Type")).isPresent();
            assertThat(Long.parseLong(head.headers().firstValue("Content-Length").orElseThrow())).isPositive();
        }
        HttpResponse<String> head = send(http, "HEAD", server.url() + "metrics");
        assertThat(head.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain; version=0.0.4");
        assertThat(send(http, "HEAD", server.url() + "nope").statusCode()).isEqualTo(404);
    }

    @Test
    void aNonLoopbackAddressWithoutACertificateRefusesToStart() {
        assertThatThrownBy(() -> DashboardServer.forHost("0.0.0.0", 0, null, state::snapshot, metrics::scrape))
                .isInstanceOf(DashboardServer.DashboardException.class)
                .hasMessageContaining("dashboard.host '0.0.0.0' is not a loopback address")
                .hasMessageContaining("HTTPS");
    }

    @Test
    void aNonLoopbackAddressWithAnUnusableKeyRefusesToStartNamingTheFiles(@TempDir Path dir) throws Exception {
        TlsFiles tls = new TlsFiles(dir.resolve("cert.pem"), dir.resolve("key.pem"), dir.resolve("ca.pem"));
        java.nio.file.Files.writeString(tls.cert(), "not a certificate");
        java.nio.file.Files.writeString(tls.key(), "not a key");
        assertThatThrownBy(() -> DashboardServer.forHost("0.0.0.0", 0, tls, state::snapshot, metrics::scrape))
                .isInstanceOf(DashboardServer.DashboardException.class)
                .hasMessageContaining("cannot serve HTTPS with certificate " + tls.cert() + " and key " + tls.key());
    }

    @Test
    void aNonLoopbackAddressIsServedOverHttpsWithTheCoordinatorsCertificate(@TempDir Path dir) throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "test", ConsortiumCa.DEFAULT_CA_VALIDITY);
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"),
                ConsortiumCa.DEFAULT_PARTY_VALIDITY);
        TlsFiles tls = new TlsFiles(coordinator.cert(), coordinator.key(), coordinator.ca());
        server = DashboardServer.forHost("0.0.0.0", 0, tls, state::snapshot, metrics::scrape).start();
        assertThat(server.https()).isTrue();
        assertThat(server.url()).startsWith("https://");

        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("ca", PemFiles.readCertificate(coordinator.ca()));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        HttpClient trusting = HttpClient.newBuilder().sslContext(context).build();

        HttpResponse<String> page = send(trusting, "GET", "https://localhost:" + server.port() + "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<svg id=\"plot-auc\"");
        assertThatThrownBy(() -> send(http, "GET", "https://localhost:" + server.port() + "/"))
                .as("a client that does not trust the consortium CA").isInstanceOf(SSLHandshakeException.class);
        assertThatThrownBy(() -> send(trusting, "GET", "http://localhost:" + server.port() + "/"))
                .as("no plain HTTP on the TLS port").isInstanceOf(java.io.IOException.class);
    }
}
