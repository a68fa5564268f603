package org.fedmil.bench.peers;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the bytes on the wire between a framework's clients and its server: a TCP relay on loopback that the
 * clients connect to instead of the server, which forwards every byte both ways and counts it. What it counts is
 * the TCP payload, everything the two processes send each other: for FedMIL the TLS records (handshakes,
 * certificates, encryption overhead) with HTTP/2 and gRPC framing, for Flower its plain gRPC; not the TCP/IP
 * headers, which depend on the segment sizes of the loopback device rather than on the framework. Both
 * frameworks pay the relay's extra copy alike.
 */
final class WireRelay implements AutoCloseable {

    private static final int BUFFER = 64 << 10;

    private final ServerSocket listener;
    private final int targetPort;
    private final AtomicLong up = new AtomicLong();
    private final AtomicLong down = new AtomicLong();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();

    /** Byte counts: {@code up} from the clients to the server, {@code down} from the server to the clients. */
    record Counts(long up, long down) {

        static final Counts NONE = new Counts(-1, -1);

        boolean measured() {
            return up >= 0;
        }

        long total() {
            return up + down;
        }
    }

    /** Relays 127.0.0.1:{@link #port()} to the server on 127.0.0.1:{@code targetPort}. */
    WireRelay(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 256, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::acceptAll, "wire-relay-accept");
        accept.setDaemon(true);
        accept.start();
    }

    /** Where the clients connect. */
    int port() {
        return listener.getLocalPort();
    }

    Counts counts() {
        return new Counts(up.get(), down.get());
    }

    private void acceptAll() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                server.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
                // without these the relay would hold back small frames (HTTP/2 pings, gRPC headers) for Nagle
                client.setTcpNoDelay(true);
                server.setTcpNoDelay(true);
                sockets.add(client);
                sockets.add(server);
                pump(client, server, up);
                pump(server, client, down);
            } catch (IOException e) {
                if (!listener.isClosed()) {
                    System.err.println("bench peers: the wire relay could not take a connection: " + e.getMessage());
                }
            }
        }
    }

    private static void pump(Socket from, Socket to, AtomicLong counter) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[BUFFER];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    out.write(buffer, 0, n);
                    counter.addAndGet(n);
                }
            } catch (IOException closed) {
                // one side went away: the connection is over either way
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "wire-relay");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing: nothing to do about it
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        sockets.forEach(WireRelay::closeQuietly);
    }
}
