package org.fedmil.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP relay on loopback that breaks every connection after it carried {@code breakEvery} bytes from the
 * client: a hospital link that drops again and again in the middle of a transfer. TLS runs end to end through
 * it; it only counts and cuts.
 */
final class FlakyLink implements AutoCloseable {

    private final ServerSocket listener;
    private final int targetPort;
    private final long breakEvery;
    private final AtomicInteger breaks = new AtomicInteger();
    private final List<Socket> open = new CopyOnWriteArrayList<>();

    FlakyLink(int targetPort, long breakEvery) throws IOException {
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        this.targetPort = targetPort;
        this.breakEvery = breakEvery;
        Thread accept = new Thread(this::acceptLoop, "flaky-link");
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Cuts every connection open now, as a link that drops; new connections go through. */
    void cutAll() {
        for (Socket s : open) {
            closeQuietly(s);
        }
        open.clear();
    }

    /** Connections cut so far. */
    int breaks() {
        return breaks.get();
    }

    private void acceptLoop() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                open.add(client);
                open.add(server);
                pump(client, server, true);
                pump(server, client, false);
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void pump(Socket from, Socket to, boolean counted) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            long carried = 0;
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buffer)) >= 0) {
                    if (counted && carried + n > breakEvery) {
                        breaks.incrementAndGet();
                        break;
                    }
                    out.write(buffer, 0, n);
                    carried += n;
                }
            } catch (IOException e) {
                // the other direction closed the sockets
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "flaky-link-pump");
        t.setDaemon(true);
        t.start();
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // already closed
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        for (Socket s : open) {
            closeQuietly(s);
        }
    }
}
