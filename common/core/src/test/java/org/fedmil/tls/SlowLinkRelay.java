package org.fedmil.tls;

import io.grpc.BindableService;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;

/**
 * A TCP relay to a coordinator on loopback that slows a new connection down, as a loaded host or a slow middlebox
 * would: either it accepts the connection late (the client waits in the TCP backlog) or it connects on at once and
 * passes the client's first bytes (its ClientHello) on late.
 */
final class SlowLinkRelay implements AutoCloseable {

    private final ServerSocket listening;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private SlowLinkRelay(int upstreamPort, Duration acceptDelay, Duration firstBytesDelay) throws IOException {
        listening = new ServerSocket(0);
        Thread acceptor = new Thread(() -> {
            try {
                while (true) {
                    Socket client = listening.accept();
                    sockets.add(client);
                    Thread.sleep(acceptDelay.toMillis());
                    Socket upstream = new Socket("127.0.0.1", upstreamPort);
                    sockets.add(upstream);
                    pipe(upstream.getInputStream(), client.getOutputStream(), Duration.ZERO);
                    pipe(client.getInputStream(), upstream.getOutputStream(), firstBytesDelay);
                }
            } catch (IOException | InterruptedException closed) {
                // the test is over
            }
        });
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /** Reads nothing from a new connection, and opens none to the coordinator, for {@code hold}. */
    static SlowLinkRelay holdingNewConnections(int upstreamPort, Duration hold) throws IOException {
        return new SlowLinkRelay(upstreamPort, hold, Duration.ZERO);
    }

    /** Connects to the coordinator at once and passes the client's bytes on after {@code delay}. */
    static SlowLinkRelay delayingFirstBytes(int upstreamPort, Duration delay) throws IOException {
        return new SlowLinkRelay(upstreamPort, Duration.ZERO, delay);
    }

    int port() {
        return listening.getLocalPort();
    }

    /** A Join that answers with the caller's name from its verified certificate, for site certificates only. */
    static ServerServiceDefinition joinEchoingTheCaller() {
        BindableService service = new FederationGrpc.FederationImplBase() {
            @Override
            public void join(JoinRequest request, StreamObserver<JoinResponse> responses) {
                responses.onNext(JoinResponse.newBuilder().setSiteId(PeerIdentity.current().commonName()).build());
                responses.onCompleted();
            }
        };
        return ServerInterceptors.intercept(service, PeerIdentityInterceptor.requiring(PeerIdentity.Role.SITE));
    }

    @Override
    public void close() throws IOException {
        listening.close();
        for (Socket s : sockets) {
            s.close();
        }
    }

    private static void pipe(InputStream in, OutputStream out, Duration delay) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(delay.toMillis());
                in.transferTo(out);
            } catch (IOException | InterruptedException closed) {
                // one side closed
            } finally {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        });
        t.setDaemon(true);
        t.start();
    }
}
