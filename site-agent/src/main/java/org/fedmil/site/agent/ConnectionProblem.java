package org.fedmil.site.agent;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateExpiredException;
import java.util.Locale;
import java.util.Optional;
import org.fedmil.config.TlsFiles;

/**
 * Why a call could not reach the coordinator, told from the exception gRPC gave (it says only "io exception"; the
 * cause chain says why), with what the site's IT can do about it. Each cause its own sentence: a firewall, a
 * coordinator that is down, another consortium's certificates and a slow link need different people.
 *
 * @param cause  which of the causes below
 * @param detail the operator-facing sentence: what happened and what to do
 */
public record ConnectionProblem(Cause cause, String detail) {

    /** The causes the agent and {@code fedmil site check} tell apart. */
    public enum Cause {
        /** Nothing listens at the address (connection refused): the coordinator is down or restarting. */
        CONNECTION_REFUSED,
        /** The host name does not resolve. */
        UNKNOWN_HOST,
        /** No TCP answer at all within the connect timeout: usually a firewall that drops packets. */
        CONNECTION_TIMED_OUT,
        /** TCP connected, but the TLS handshake did not finish in time. */
        HANDSHAKE_TIMED_OUT,
        /** The coordinator's certificate is not from the consortium CA this site trusts (or has expired). */
        COORDINATOR_NOT_TRUSTED,
        /** The coordinator's certificate is from the consortium CA but does not name the host dialled. */
        HOSTNAME_MISMATCH,
        /** The coordinator refused this site's certificate during the handshake (a TLS alert). */
        CERTIFICATE_REFUSED,
        /** Anything else that broke the link: a restart under way, a dropped connection. */
        LINK
    }

    /** Whether waiting can fix it: a coordinator that is down or slow comes back; certificates do not change. */
    public boolean mayPass() {
        return cause == Cause.CONNECTION_REFUSED || cause == Cause.CONNECTION_TIMED_OUT
                || cause == Cause.HANDSHAKE_TIMED_OUT || cause == Cause.LINK;
    }

    /**
     * @param failure          what the call threw
     * @param host             the coordinator's host as dialled (site.yaml coordinator.host)
     * @param port             its port
     * @param tls              this site's certificate files
     * @param handshakeSeconds the client's TLS handshake timeout
     */
    public static ConnectionProblem of(Throwable failure, String host, int port, TlsFiles tls, int handshakeSeconds) {
        return network(failure, host, port)
                .or(() -> handshake(failure, host, port, tls, handshakeSeconds))
                .orElseGet(() -> new ConnectionProblem(Cause.LINK, "the call to coordinator " + host + ":" + port
                        + " broke off (" + brief(Status.fromThrowable(failure).asRuntimeException()) + ")"));
    }

    /** No TCP connection: the name, the coordinator's process, or the path to it. */
    private static Optional<ConnectionProblem> network(Throwable failure, String host, int port) {
        String target = host + ":" + port;
        if (has(failure, UnknownHostException.class)) {
            return Optional.of(new ConnectionProblem(Cause.UNKNOWN_HOST, "the coordinator's host name '" + host
                    + "' does not resolve; check coordinator.host in site.yaml and this machine's DNS"));
        }
        String connect = deepest(failure, ConnectException.class).orElse("").toLowerCase(Locale.ROOT);
        if (connect.contains("refused")) {
            return Optional.of(new ConnectionProblem(Cause.CONNECTION_REFUSED, "nothing accepts connections at "
                    + target + " (connection refused): the coordinator is not running or is restarting, or "
                    + "coordinator.host/port in site.yaml is wrong"));
        }
        if (hasClass(failure, "io.netty.channel.ConnectTimeoutException") || has(failure, NoRouteToHostException.class)
                || has(failure, ConnectException.class)) {
            return Optional.of(new ConnectionProblem(Cause.CONNECTION_TIMED_OUT, "no TCP answer from " + target
                    + " (" + rootMessage(failure) + "): a firewall between this site and the coordinator probably "
                    + "drops the connection; ask your network team to let this machine connect out to port " + port));
        }
        return Optional.empty();
    }

    /** TCP connected, but the mutual TLS handshake failed: too slow, their certificate, or ours. */
    private static Optional<ConnectionProblem> handshake(Throwable failure, String host, int port, TlsFiles tls,
                                                         int handshakeSeconds) {
        String target = host + ":" + port;
        if (hasClass(failure, "io.netty.handler.ssl.SslHandshakeTimeoutException")) {
            return Optional.of(new ConnectionProblem(Cause.HANDSHAKE_TIMED_OUT, "the TLS handshake with " + target
                    + " did not finish within " + handshakeSeconds + " s, the agent's limit: the coordinator is "
                    + "overloaded or starting, the link is very slow, or what answers at " + target + " is not the "
                    + "coordinator (a proxy or another service; ask your network team)"));
        }
        String text = chainText(failure);
        if (text.contains("no subject alternative") || text.contains("no name matching")) {
            return Optional.of(new ConnectionProblem(Cause.HOSTNAME_MISMATCH, "the coordinator's certificate does "
                    + "not name '" + host + "': set coordinator.host in site.yaml to the name the operator gave, or "
                    + "ask the operator to issue the coordinator's certificate for '" + host + "' (fedmil pki issue "
                    + "coordinator --host " + host + ")"));
        }
        if (has(failure, CertPathValidatorException.class) || has(failure, CertificateExpiredException.class)
                || text.contains("pkix path") || text.contains("unable to find valid certification path")) {
            return Optional.of(new ConnectionProblem(Cause.COORDINATOR_NOT_TRUSTED, "the certificate " + target
                    + " presented is not from the consortium CA in " + tls.ca() + " (or has expired): this site "
                    + "holds another consortium's ca.pem, or " + target + " is not your consortium's coordinator. "
                    + "Compare the CA fingerprint this agent prints at start with the one the consortium operator "
                    + "gave you"));
        }
        return alert(failure).map(alert -> new ConnectionProblem(Cause.CERTIFICATE_REFUSED, "the coordinator at "
                + target + " refused this site's certificate " + tls.cert() + " during the TLS handshake (TLS alert "
                + alert + "): it is not from the CA the coordinator trusts, it has expired, or the operator revoked "
                + "this site; contact the consortium operator"));
    }

    /**
     * A failed call in one line: code, description and the root cause's message. (grpc's {@code Status.toString}
     * carries the cause's whole stack trace, which logged per retry buries the console.)
     */
    public static String brief(StatusRuntimeException e) {
        Status s = e.getStatus();
        return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription())
                + (s.getCause() == null ? "" : " (" + rootMessage(s.getCause()) + ")");
    }

    /** The TLS alert in the chain, e.g. "bad_certificate", from the JDK's or BoringSSL's wording. */
    private static Optional<String> alert(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage();
            java.util.regex.Matcher jdk = java.util.regex.Pattern.compile("Received fatal alert: (\\w+)").matcher(m);
            if (jdk.find()) {
                return Optional.of(jdk.group(1));
            }
            java.util.regex.Matcher boring = java.util.regex.Pattern.compile("(?:SSLV3|TLSV1)_ALERT_(\\w+)")
                    .matcher(m);
            if (boring.find()) {
                return Optional.of(boring.group(1).toLowerCase(Locale.ROOT));
            }
            if (m.contains("TLSV1_CERTIFICATE_REQUIRED")) {
                return Optional.of("certificate_required");
            }
        }
        return Optional.empty();
    }

    private static boolean has(Throwable failure, Class<? extends Throwable> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return true;
            }
        }
        return false;
    }

    private static boolean hasClass(Throwable failure, String name) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            for (Class<?> c = t.getClass(); c != null; c = c.getSuperclass()) {
                if (c.getName().equals(name)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static Optional<String> deepest(Throwable failure, Class<? extends Throwable> type) {
        String found = null;
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                found = String.valueOf(t.getMessage());
            }
        }
        return Optional.ofNullable(found);
    }

    private static String chainText(Throwable failure) {
        StringBuilder b = new StringBuilder();
        for (Throwable t = failure; t != null; t = t.getCause()) {
            b.append(t.getMessage()).append('\n');
        }
        return b.toString().toLowerCase(Locale.ROOT);
    }

    private static String rootMessage(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
