package org.fedmil.site.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.grpc.Status;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.fedmil.config.TlsFiles;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.testing.TestPki;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * While the coordinator cannot be reached, each retry is one log line with its cause and the next attempt (no
 * stack trace), and after connect_timeout_seconds the call gives up with the cause instead of retrying for ever.
 */
class RetryingTest {

    @TempDir
    Path dir;

    @Test
    void aCoordinatorThatStaysDownIsRetriedOneLineAtATimeUntilConnectTimeoutThenGivenUpWithItsCause()
            throws Exception {
        PartyCredentials site = new TestPki(dir.resolve("pki")).issue("site-a");
        TlsFiles tls = new TlsFiles(site.cert(), site.key(), site.ca());
        int closed;
        try (ServerSocket s = new ServerSocket(0)) {
            closed = s.getLocalPort();
        }
        SiteConfig config = new SiteConfig(new SiteConfig.Coordinator("localhost", closed), tls, dir, "cpu", 0, 2,
                dir.resolve("state"), null, null);
        Retrying retrying = new Retrying(config, new CoordinatorIdentity(null));
        Logger logger = (Logger) LoggerFactory.getLogger(Retrying.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        AtomicInteger attempts = new AtomicInteger();
        CoordinatorUnavailable gaveUp;
        try (CoordinatorClient client = new CoordinatorClient("localhost", closed, tls)) {
            gaveUp = catchThrowableOfType(CoordinatorUnavailable.class, () -> retrying.call("join", () -> {
                attempts.incrementAndGet();
                return client.join(JoinRequest.getDefaultInstance());
            }));
        } finally {
            logger.detachAppender(logged);
        }

        assertThat(gaveUp).isNotNull();
        assertThat(gaveUp.problem().cause()).isEqualTo(ConnectionProblem.Cause.CONNECTION_REFUSED);
        assertThat(gaveUp.getMessage()).startsWith("join: gave up after " + attempts.get() + " attempts in ")
                .contains("(connect_timeout_seconds 2): nothing accepts connections at localhost:" + closed);
        List<ILoggingEvent> lines = logged.list.stream().filter(e -> e.getLevel() == Level.INFO).toList();
        assertThat(lines).as("one line per failed attempt but the last").hasSize(attempts.get() - 1)
                .allSatisfy(e -> {
                    assertThat(e.getFormattedMessage()).startsWith("join: nothing accepts connections at localhost:"
                            + closed + " (connection refused)").containsPattern("attempt \\d+, next in \\d+\\.\\d s")
                            .doesNotContain("\n");
                    assertThat(e.getThrowableProxy()).isNull();
                });
        assertThat(logged.list).filteredOn(e -> e.getLevel() == Level.DEBUG)
                .allSatisfy(e -> assertThat(e.getThrowableProxy()).as("the stack trace, at debug only").isNotNull());
    }

    @Test
    void aCoordinatorThatComesBackIsSaidOnceWhenItAnswers() throws Exception {
        PartyCredentials site = new TestPki(dir.resolve("pki")).issue("site-a");
        SiteConfig config = new SiteConfig(new SiteConfig.Coordinator("localhost", 1),
                new TlsFiles(site.cert(), site.key(), site.ca()), dir, "cpu", 0, 60, dir.resolve("state"), null, null);
        Logger logger = (Logger) LoggerFactory.getLogger(Retrying.class);
        ListAppender<ILoggingEvent> logged = new ListAppender<>();
        logged.start();
        logger.addAppender(logged);
        AtomicInteger attempts = new AtomicInteger();
        String answer;
        try {
            answer = new Retrying(config, new CoordinatorIdentity(null)).call("next task", () -> {
                if (attempts.incrementAndGet() < 3) {
                    throw Status.UNAVAILABLE.withDescription("restarting").asRuntimeException();
                }
                return "task";
            });
        } finally {
            logger.detachAppender(logged);
        }

        assertThat(answer).isEqualTo("task");
        assertThat(logged.list).filteredOn(e -> e.getLevel() == Level.INFO).extracting(ILoggingEvent::getFormattedMessage)
                .hasSize(3).last().asString().startsWith("next task: the coordinator answered again, at attempt 3");
    }

    @Test
    void anAnswerOfTheCoordinatorIsNotRetried() throws Exception {
        PartyCredentials site = new TestPki(dir.resolve("pki")).issue("site-a");
        SiteConfig config = new SiteConfig(new SiteConfig.Coordinator("localhost", 1),
                new TlsFiles(site.cert(), site.key(), site.ca()), dir, "cpu", 0, 60, dir.resolve("state"), null, null);
        AtomicInteger attempts = new AtomicInteger();

        io.grpc.StatusRuntimeException refused = catchThrowableOfType(io.grpc.StatusRuntimeException.class,
                () -> new Retrying(config, new CoordinatorIdentity(null)).call("join", () -> {
                    attempts.incrementAndGet();
                    throw Status.PERMISSION_DENIED.withDescription("revoked").asRuntimeException();
                }));

        assertThat(refused.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(attempts).hasValue(1);
    }

    @Test
    void aHandshakeSlowerThanTheConfiguredLimitIsReportedAsAHandshakeTimeoutOfThatLimit() throws Exception {
        PartyCredentials site = new TestPki(dir.resolve("pki")).issue("site-a");
        TlsFiles tls = new TlsFiles(site.cert(), site.key(), site.ca());
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0)) {
            List<java.net.Socket> held = new java.util.concurrent.CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        held.add(silent.accept());
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            int port = silent.getLocalPort();
            SiteConfig config = new SiteConfig(new SiteConfig.Coordinator("localhost", port, 2), tls, dir, "cpu", 0,
                    3, dir.resolve("state"), null, null);
            Retrying retrying = new Retrying(config, new CoordinatorIdentity(null));
            CoordinatorUnavailable gaveUp;
            try (CoordinatorClient client = new CoordinatorClient("localhost", port, tls,
                    config.coordinator().handshakeTimeout(), new CoordinatorIdentity(null))) {
                gaveUp = catchThrowableOfType(CoordinatorUnavailable.class, () -> retrying.call("join",
                        () -> client.join(JoinRequest.getDefaultInstance())));
            }

            assertThat(gaveUp).isNotNull();
            assertThat(gaveUp.problem().cause()).isEqualTo(ConnectionProblem.Cause.HANDSHAKE_TIMED_OUT);
            assertThat(gaveUp.problem().detail()).contains("the TLS handshake with localhost:" + port
                    + " did not finish within 2 s");
            // the limit the handshake really ran under, not only the number the message was given
            List<Throwable> chain = new java.util.ArrayList<>();
            for (Throwable t = gaveUp; t != null; t = t.getCause()) {
                chain.add(t);
            }
            assertThat(chain).anySatisfy(t -> assertThat(t)
                    .isInstanceOf(io.netty.handler.ssl.SslHandshakeTimeoutException.class)
                    .hasMessageContaining("2000ms"));
        }
    }
}
