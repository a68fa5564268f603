package org.fedmil.coordinator.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP proxy that holds back the client's first bytes of its first {@code slowConnections} connections
 * for {@code delay}, as a client JVM starting cold on a loaded host is slow to send its TLS ClientHello; later
 * connections pass straight through. Everything else is forwarded as is, both ways.
 */
final class SlowFirstBytesProxy implements AutoCloseable {

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Duration delay;
    private final int slowConnections;
    /** Whether a slow connection reaches the target only after the delay (a host slow to accept at all). */
    private final boolean connectLate;
    private final AtomicInteger accepted = new AtomicInteger();
    private final ExecutorService pool = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "slow-proxy");
        t.setDaemon(true);
        return t;
    });

    SlowFirstBytesProxy(int targetPort, Duration delay, int slowConnections) throws IOException {
        this(targetPort, delay, slowConnections, false);
    }

    /**
     * Every connection reaches the coordinator only {@code delay} after the client opened it, so the client's whole
     * handshake takes longer than {@code delay} while the coordinator sees a fresh, fast one.
     */
    static SlowFirstBytesProxy connectingLate(int targetPort, Duration delay) throws IOException {
        return new SlowFirstBytesProxy(targetPort, delay, Integer.MAX_VALUE, true);
    }

    private SlowFirstBytesProxy(int targetPort, Duration delay, int slowConnections, boolean connectLate)
            throws IOException {
        this.connectLate = connectLate;
        this.listener = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        this.target = new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort);
        this.delay = delay;
        this.slowConnections = slowConnections;
        pool.execute(this::accept);
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Connections accepted so far. */
    int connections() {
        return accepted.get();
    }

    private void accept() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                boolean slow = accepted.incrementAndGet() <= slowConnections;
                if (connectLate) {
                    pool.execute(() -> connectAfterDelay(client));
                    continue;
                }
                Socket server = new Socket();
                server.connect(target);
                pool.execute(() -> pump(client, server, slow ? delay : Duration.ZERO));
                pool.execute(() -> pump(server, client, Duration.ZERO));
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void connectAfterDelay(Socket client) {
        try {
            Thread.sleep(delay.toMillis());
            Socket server = new Socket();
            server.connect(target);
            pool.execute(() -> pump(client, server, Duration.ZERO));
            pool.execute(() -> pump(server, client, Duration.ZERO));
        } catch (IOException | InterruptedException e) {
            closeQuietly(client);
        }
    }

    private static void pump(Socket from, Socket to, Duration firstDelay) {
        byte[] buf = new byte[16384];
        boolean first = true;
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                if (first && !firstDelay.isZero()) {
                    Thread.sleep(firstDelay.toMillis());
                }
                first = false;
                out.write(buf, 0, n);
                out.flush();
            }
        } catch (IOException | InterruptedException e) {
            // one side closed: close the other below
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException e) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        pool.shutdownNow();
    }
}
