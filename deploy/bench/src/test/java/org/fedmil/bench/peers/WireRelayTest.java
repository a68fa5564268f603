package org.fedmil.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The relay that counts bytes on the wire forwards every byte both ways unchanged and counts each direction. */
class WireRelayTest {

    @Test
    void countsEveryByteEachWayAndForwardsThemUnchanged() throws Exception {
        byte[] request = new byte[300_001];
        byte[] reply = new byte[1_000_003];
        new Random(1).nextBytes(request);
        new Random(2).nextBytes(reply);
        try (ServerSocket server = new ServerSocket(0, 10, InetAddress.getLoopbackAddress());
             WireRelay relay = new WireRelay(server.getLocalPort())) {
            Thread serving = new Thread(() -> {
                try (Socket s = server.accept()) {
                    byte[] got = new DataInputStream(s.getInputStream()).readNBytes(request.length);
                    assertThat(got).isEqualTo(request);
                    s.getOutputStream().write(reply);
                    s.getOutputStream().flush();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            serving.start();
            byte[] got;
            try (Socket client = new Socket(InetAddress.getLoopbackAddress(), relay.port())) {
                OutputStream out = client.getOutputStream();
                out.write(request);
                out.flush();
                InputStream in = client.getInputStream();
                got = in.readNBytes(reply.length);
            }
            serving.join(10_000);
            assertThat(Arrays.equals(got, reply)).as("the reply arrives unchanged").isTrue();
            long end = System.nanoTime() + 5_000_000_000L;
            while (relay.counts().total() < request.length + reply.length && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            assertThat(relay.counts()).isEqualTo(new WireRelay.Counts(request.length, reply.length));
        }
    }
}
