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

/**
 * The weight a site's masked delta enters the sum with is its bag count, at most what the coordinator assigned in
 * the mask task: the coordinator, which cannot see the weighted delta, divides the sum by the weights it assigned.
 */
class AssignedWeightTest {

    private static final int LENGTH = 50;
    private static final List<String> SITES = List.of("site-a", "site-b", "site-c");

    @TempDir
    Path pki;

    @Test
    void aSiteWithMoreBagsThanItsAssignedWeightWeighsItsMaskedDeltaByTheAssignedWeight() {
        TestPki consortium = new TestPki(pki);
        // n_max 20: the largest weight the coordinator assigned this round
        SecAggParameters params = SecAggParameters.choose("fed-test", 1, 3, 2, LENGTH, 20, 1.0);
        SecAggServer server = new SecAggServer(params);
        Map<String, SecAggSession> sessions = new TreeMap<>();
        for (String site : SITES) {
            TestPki.Site keys = consortium.site(site);
            SecAggSession s = SecAggSession.start(site, params, keys.rosterAuthentication());
            sessions.put(site, s);
            try {
                server.receive(SecAggWire.fromProto(site, keys.certificate().getEncoded(), s.advertise()));
            } catch (java.security.cert.CertificateEncodingException e) {
                throw new IllegalStateException(e);
            }
        }
        List<KeyAdvertisement> roster = server.closeAdvertising();
        sessions.forEach((site, s) -> server.receive(SecAggWire.fromProto(site, s.share(roster))));
        Map<String, List<EncryptedShare>> routed = server.closeSharing();
        routed.forEach((site, shares) -> sessions.get(site).receive(shares));

        // site-a trained 1,000 bags but was assigned 20; site-b 10 bags of an assigned 20; site-c 20 of 20
        Map<String, long[]> bagsAndAssigned = Map.of("site-a", new long[] {1000, 20}, "site-b", new long[] {10, 20},
                "site-c", new long[] {20, 20});
        double[] weighted = new double[LENGTH];
        long total = 0;
        for (int k = 0; k < SITES.size(); k++) {
            String site = SITES.get(k);
            long[] ba = bagsAndAssigned.get(site);
            Outbound e = new CompressionFilter().apply(Deltas.trained(1, Deltas.gaussian(7 + k, LENGTH, 0.05), ba[0],
                    DeltaEncoding.FLOAT32));
            MaskFilter filter = new MaskFilter(sessions.get(site), null, ba[1]);
            long weight = filter.weightOf(e);
            assertThat(weight).isEqualTo(Math.min(ba[0], ba[1]));
            Outbound masked = filter.apply(e);
            assertThat(masked.trainingBags()).as("the signed claim is still the site's bags").isEqualTo(ba[0]);
            server.receive(new MaskedInput(site, weight, longs(masked.bytes())));
            double[] d = Deltas.flat(DeltaCodec.decode(e.specs(), e.encoding(), e.bytes()));
            for (int i = 0; i < LENGTH; i++) {
                weighted[i] += weight * d[i];
            }
            total += weight;
        }
        UnmaskRequest request = server.closeMasking();
        ConsistencyRounds.signAndUnmask(server, sessions, request, roster);
        SecAggResult result = server.finish();

        assertThat(result.totalBags()).isEqualTo(20 + 10 + 20);
        float[] mean = result.mean();
        for (int i = 0; i < LENGTH; i++) {
            double expected = weighted[i] / total;
            assertThat(Math.abs(mean[i] - expected)).as("coordinate %d", i)
                    .isLessThanOrEqualTo(params.meanErrorBound() + Math.ulp((float) expected));
        }
    }

    @Test
    void withoutAnAssignedWeightASiteWeighsByItsOwnBagsAsBefore() {
        TestPki consortium = new TestPki(pki);
        SecAggParameters params = SecAggParameters.choose("fed-test", 1, 3, 2, LENGTH, 2000, 1.0);
        SecAggSession s = SecAggSession.start("site-a", params, consortium.site("site-a").rosterAuthentication());
        Outbound e = Deltas.trained(1, Deltas.gaussian(1, LENGTH, 0.05), 1000, DeltaEncoding.FLOAT32);

        assertThat(new MaskFilter(s, null, 0).weightOf(e)).isEqualTo(1000);
    }

    private static long[] longs(byte[] bytes) {
        long[] out = new long[bytes.length / 8];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }
}
