package org.fedmil.site.secagg;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.secagg.EncryptedShare;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.secagg.SecAggResult;
import org.fedmil.secagg.SecAggServer;
import org.fedmil.secagg.UnmaskRequest;
import org.fedmil.site.outbound.CompressionFilter;
import org.fedmil.site.outbound.Outbound;
import org.fedmil.site.testing.Deltas;
import org.fedmil.site.testing.TestPki;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.DeltaEncoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three sites' sessions and a real SecAggServer, exchanging the protocol's messages in memory. */
class MaskFilterTest {

    private static final int LENGTH = 300;
    private static final List<String> SITES = List.of("site-a", "site-b", "site-c");

    @TempDir
    Path pki;

    @Test
    void maskedInputsHideEachDeltaYetSumToTheWeightedMeanOfTheEncodedDeltas() {
        TestPki consortium = new TestPki(pki);
        SecAggParameters params = SecAggParameters.choose("fed-test", 2, 3, 2, LENGTH, 1_000, 1.0);
        SecAggServer server = new SecAggServer(params);
        Map<String, SecAggSession> sessions = new TreeMap<>();
        Map<String, TestPki.Site> keys = new TreeMap<>();
        for (String site : SITES) {
            keys.put(site, consortium.site(site));
            SecAggSession s = SecAggSession.start(site, params, keys.get(site).rosterAuthentication());
            sessions.put(site, s);
            server.receive(SecAggWire.fromProto(site, certificate(keys.get(site)), s.advertise()));
        }
        List<KeyAdvertisement> roster = server.closeAdvertising();
        sessions.forEach((site, s) -> server.receive(SecAggWire.fromProto(site, s.share(roster))));
        Map<String, List<EncryptedShare>> routed = server.closeSharing();
        routed.forEach((site, shares) -> sessions.get(site).receive(shares));

        Map<String, Outbound> encoded = new TreeMap<>();
        double[] weighted = new double[LENGTH];
        long bags = 0;
        for (int k = 0; k < SITES.size(); k++) {
            String site = SITES.get(k);
            Outbound e = new CompressionFilter().apply(Deltas.trained(2,
                    Deltas.gaussian(100 + k, LENGTH, 0.05), 10L * (k + 1), DeltaEncoding.FLOAT16));
            encoded.put(site, e);
            Outbound masked = new MaskFilter(sessions.get(site)).apply(e);

            assertThat(masked.maskedFractionalBits()).hasValue(params.fractionalBits());
            assertThat(masked.bytes()).hasSize(8 * LENGTH);
            assertThat(new MaskFilter(sessions.get(site)).apply(e).bytes()).as("a resend is the same bytes")
                    .isEqualTo(masked.bytes());
            assertThat(masked.header().hasSecureAggregation()).isTrue();
            server.receive(new MaskedInput(site, e.trainingBags(), longs(masked.bytes())));
            double[] d = Deltas.flat(DeltaCodec.decode(e.specs(), e.encoding(), e.bytes()));
            for (int i = 0; i < LENGTH; i++) {
                weighted[i] += e.trainingBags() * d[i];
            }
            bags += e.trainingBags();
        }
        // each masked input alone is far from its site's fixed-point delta
        long[] plainA = fixedPoint(encoded.get("site-a"), params.fractionalBits());
        long[] maskedA = longs(new MaskFilter(sessions.get("site-a")).apply(encoded.get("site-a")).bytes());
        int equal = 0;
        for (int i = 0; i < LENGTH; i++) {
            equal += plainA[i] == maskedA[i] ? 1 : 0;
        }
        assertThat(equal).isLessThan(LENGTH / 10);

        UnmaskRequest request = server.closeMasking();
        ConsistencyRounds.signAndUnmask(server, sessions, request, roster);
        SecAggResult result = server.finish();

        float[] mean = result.mean();
        for (int i = 0; i < LENGTH; i++) {
            double expected = weighted[i] / bags;
            assertThat(Math.abs(mean[i] - expected)).as("coordinate %d", i)
                    .isLessThanOrEqualTo(params.meanErrorBound() + Math.ulp((float) expected));
        }
    }

    private static byte[] certificate(TestPki.Site site) {
        try {
            return site.certificate().getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static long[] longs(byte[] bytes) {
        long[] out = new long[bytes.length / 8];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }

    private static long[] fixedPoint(Outbound o, int fractionalBits) {
        double[] d = Deltas.flat(DeltaCodec.decode(o.specs(), o.encoding(), o.bytes()));
        long[] out = new long[d.length];
        for (int i = 0; i < d.length; i++) {
            out[i] = Math.round(Math.scalb(d[i], fractionalBits));
        }
        return out;
    }
}
