package org.fedmil.bench.perf;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PemFiles;
import org.fedmil.protocol.Wire;

/**
 * One mutual TLS 1.3 connection between plain JDK sockets, kept open like the gRPC channel, with the same
 * certificates and the cipher suite the gRPC connection negotiated, so that both sides do the same cryptography.
 */
final class RawTlsPair implements AutoCloseable {
    private final SSLServerSocket listener;
    private final SSLSocket client;
    private final SSLSocket served;

    /** @param cipherSuite the only suite either end offers, e.g. TLS_AES_128_GCM_SHA256 */
    RawTlsPair(PartyCredentials coordinator, PartyCredentials site, String cipherSuite) throws Exception {
        SSLContext serverContext = context(coordinator);
        listener = (SSLServerSocket) serverContext.getServerSocketFactory()
                .createServerSocket(0, 1, InetAddress.getLoopbackAddress());
        listener.setNeedClientAuth(true);
        listener.setEnabledProtocols(new String[] {"TLSv1.3"});
        listener.setEnabledCipherSuites(new String[] {cipherSuite});
        CompletableFuture<SSLSocket> accepted = CompletableFuture.supplyAsync(() -> {
            try {
                SSLSocket s = (SSLSocket) listener.accept();
                s.startHandshake();
                return s;
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        client = (SSLSocket) context(site).getSocketFactory().createSocket(InetAddress.getLoopbackAddress(),
                listener.getLocalPort());
        client.setEnabledProtocols(new String[] {"TLSv1.3"});
        client.setEnabledCipherSuites(new String[] {cipherSuite});
        client.startHandshake();
        served = accepted.get(30, TimeUnit.SECONDS);
    }

    /** The suite negotiated. */
    String cipherSuite() {
        return client.getSession().getCipherSuite();
    }

    private static SSLContext context(PartyCredentials party) throws Exception {
        char[] password = "bench".toCharArray();
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, password);
        List<X509Certificate> chain = PemFiles.readCertificates(party.cert());
        keys.setKeyEntry("me", PemFiles.readPrivateKey(party.key()), password, chain.toArray(new X509Certificate[0]));
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, password);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, password);
        trust.setCertificateEntry("ca", PemFiles.readCertificate(party.ca()));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLSv1.3");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    /**
     * Bytes per second of moving {@code bytes} in 1 MiB writes, server to client (download) or client to
     * server (upload), timed until the receiver has read them all and acknowledged.
     */
    Transfer transfer(byte[] bytes, boolean upload) throws Exception {
        return Transfer.time(bytes.length, () -> move(bytes, upload));
    }

    private void move(byte[] bytes, boolean upload) throws Exception {
        SSLSocket sender = upload ? client : served;
        SSLSocket receiver = upload ? served : client;
        CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
            try {
                DataOutputStream out = new DataOutputStream(sender.getOutputStream());
                out.writeLong(bytes.length);
                for (int off = 0; off < bytes.length; off += Wire.MAX_CHUNK_BYTES) {
                    out.write(bytes, off, Math.min(Wire.MAX_CHUNK_BYTES, bytes.length - off));
                }
                out.flush();
                if (sender.getInputStream().read() != 1) {
                    throw new IOException("no acknowledgement");
                }
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        DataInputStream in = new DataInputStream(receiver.getInputStream());
        long length = in.readLong();
        byte[] buffer = new byte[Wire.MAX_CHUNK_BYTES];
        long got = 0;
        InputStream raw = in;
        while (got < length) {
            int n = raw.read(buffer, 0, (int) Math.min(buffer.length, length - got));
            if (n < 0) {
                throw new IOException("stream ended after " + got + " bytes");
            }
            got += n;
        }
        receiver.getOutputStream().write(1);
        receiver.getOutputStream().flush();
        sent.get(5, TimeUnit.MINUTES);
        if (length != bytes.length) {
            throw new IOException("moved " + length + " of " + bytes.length + " bytes");
        }
    }

    @Override
    public void close() throws IOException {
        client.close();
        served.close();
        listener.close();
    }
}
