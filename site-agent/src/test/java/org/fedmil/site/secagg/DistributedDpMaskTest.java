package org.fedmil.site.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.TreeMap;
import org.fedmil.privacy.PrivacyLedger;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.secagg.EncryptedShare;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.secagg.SecAggResult;
import org.fedmil.secagg.SecAggServer;
import org.fedmil.secagg.UnmaskRequest;
import org.fedmil.site.config.SitePolicy;
import org.fedmil.site.outbound.CompressionFilter;
import org.fedmil.site.outbound.DpFilter;
import org.fedmil.site.outbound.Outbound;
import org.fedmil.site.policy.PolicyViolation;
import org.fedmil.site.policy.SitePrivacy;
import org.fedmil.site.testing.Deltas;
import org.fedmil.site.testing.TestPki;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three real site sessions with their own ledgers, distributed DP noise added in the mask step, a real server. */
class DistributedDpMaskTest {

    private static final int LENGTH = 4_000;
    private static final List<String> SITES = List.of("site-a", "site-b", "site-c");
    private static final double CLIP = 2;
    private static final double Z = 0.8;

    @TempDir
    Path dir;

    private static Outbound distributed(int k, TensorSet delta, long bags) {
        return Outbound.trained("fed-test", 2, 1, Deltas.BASE_SHA, new Outbound.Release(OptionalDouble.of(CLIP),
                OptionalDouble.of(Z), DeltaEncoding.FLOAT32, true), delta, bags, 0.5);
    }

    @Test
    void theUnmaskedMeanIsFedAvgPlusCentralNoiseAndEachSiteChargesTheCentralMultiplier() throws Exception {
        TestPki consortium = new TestPki(dir.resolve("pki"));
        SecAggParameters params = SecAggParameters.chooseForDistributedNoise("fed-test", 2, 3, 2, LENGTH, 100,
                CLIP * (1 + 10 * Z), CLIP);
        SecAggServer server = new SecAggServer(params);
        Map<String, SecAggSession> sessions = new TreeMap<>();
        Map<String, SitePrivacy> ledgers = new TreeMap<>();
        for (String site : SITES) {
            TestPki.Site keys = consortium.site(site);
            SecAggSession s = SecAggSession.start(site, params, keys.rosterAuthentication());
            sessions.put(site, s);
            ledgers.put(site, new SitePrivacy(new SitePolicy.Dp(null, null, null, null, null),
                    dir.resolve(site)));
            java.nio.file.Files.createDirectories(dir.resolve(site));
            server.receive(SecAggWire.fromProto(site, keys.certificate().getEncoded(), s.advertise()));
        }
        List<KeyAdvertisement> roster = server.closeAdvertising();
        sessions.forEach((site, s) -> server.receive(SecAggWire.fromProto(site, s.share(roster))));
        Map<String, List<EncryptedShare>> routed = server.closeSharing();
        routed.forEach((site, shares) -> sessions.get(site).receive(shares));

        double[] weighted = new double[LENGTH];
        long bags = 0;
        for (int k = 0; k < SITES.size(); k++) {
            String site = SITES.get(k);
            long n = 30L * (k + 1);
            TensorSet delta = Deltas.gaussian(200 + k, LENGTH, 0.01); // norm ≈ 0.63 < C: not clipped
            // the release chain: DP (which leaves a distributed release alone), compression none, then the mask
            Outbound released = new CompressionFilter().apply(new DpFilter(ledgers.get(site))
                    .apply(distributed(k, delta, n)));
            assertThat(released.privacy()).as("no site-level noise or claim before the mask").isEmpty();
            Outbound masked = new MaskFilter(sessions.get(site), ledgers.get(site)).apply(released);
            assertThat(masked.privacy()).isPresent();
            assertThat(masked.privacy().get().noiseMultiplier()).isCloseTo(Z, within(1e-9));
            assertThat(masked.privacy().get().epsilonSpent()).isPositive();
            assertThat(masked.header().hasPrivacy()).isTrue();
            assertThat(PrivacyLedger.open(dir.resolve(site).resolve(PrivacyLedger.FILE_NAME), 1e-5).spent().epsilon())
                    .isEqualTo(masked.privacy().get().epsilonSpent());
            server.receive(new MaskedInput(site, n, longs(masked.bytes())));
            double[] d = Deltas.flat(delta);
            for (int i = 0; i < LENGTH; i++) {
                weighted[i] += n * d[i];
            }
            bags += n;
        }
        UnmaskRequest request = server.closeMasking();
        ConsistencyRounds.signAndUnmask(server, sessions, request, roster);
        SecAggResult result = server.finish();

        // three survivors at threshold 2: the sum has 3/2 of the central variance (z·C·n_max)² in bag-weighted units
        double expected = Math.sqrt(1.5) * Z * CLIP * params.maxBags() / bags;
        double squares = 0;
        float[] mean = result.mean();
        for (int i = 0; i < LENGTH; i++) {
            double e = mean[i] - weighted[i] / bags;
            squares += e * e;
        }
        // standard error of the std over 4,000 coordinates is 1.1 %: 7 % is 6 of them
        assertThat(Math.sqrt(squares / LENGTH) / expected).isCloseTo(1, within(0.07));
    }

    @Test
    void aDistributedReleaseIsNeverSentUnmasked() {
        Outbound plain = new CompressionFilter().apply(distributed(0, Deltas.gaussian(1, 50, 0.01), 10));
        assertThatThrownBy(plain::header).isInstanceOf(PolicyViolation.class)
                .hasMessageContaining("training.dp.distributed").hasMessageContaining("secure_aggregation: true");
    }

    private static long[] longs(byte[] bytes) {
        long[] out = new long[bytes.length / 8];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(out);
        return out;
    }
}
