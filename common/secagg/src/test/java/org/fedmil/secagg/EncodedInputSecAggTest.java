package org.fedmil.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.fedmil.privacy.DiscreteGaussian;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Inputs a site has already put in the ring as integers (DP-FedSGD's clipped gradient sums on a grid, each with its
 * share of discrete Gaussian noise) through the real protocol: real X25519 keys, Shamir shares, certificates of a
 * real consortium CA. The unmasked sum must be the survivors' integer inputs summed, bit for bit.
 */
class EncodedInputSecAggTest {

    private static final int LENGTH = 2_000;

    @TempDir
    static java.nio.file.Path pki;
    private static TestConsortium consortium;

    @BeforeAll
    static void consortium() {
        consortium = new TestConsortium(pki.resolve("consortium"), "encoded");
    }

    /** Four sites, threshold 3; each input a clipped sum of up to ±2^20 grid units plus noise of variance v. */
    private static final class Round {
        final SecAggServer server;
        final Map<String, SecAggClient> clients = new TreeMap<>();
        final Map<String, long[]> inputs = new TreeMap<>();
        final Map<String, long[]> masked = new TreeMap<>();

        Round(long seed, BigInteger noiseVariance) {
            SecAggParameters params = SecAggParameters.choose("fed-encoded", 7, 4, 3, LENGTH, 1_000, 1.0);
            server = new SecAggServer(params);
            Random r = new Random(seed);
            for (int k = 0; k < 4; k++) {
                String id = "site-" + (char) ('a' + k);
                clients.put(id, new SecAggClient(id, params, consortium.site(id), new SecureRandom()));
                long[] x = new long[LENGTH];
                DiscreteGaussian noise = noiseVariance.signum() == 0 ? null
                        : new DiscreteGaussian(noiseVariance, BigInteger.ONE, new Random(seed * 31 + k));
                for (int i = 0; i < LENGTH; i++) {
                    x[i] = r.nextInt(1 << 21) - (1 << 20) + (noise == null ? 0 : noise.sample());
                }
                inputs.put(id, x);
            }
        }

        SecAggResult run(Set<String> dropBeforeInput) {
            for (SecAggClient c : clients.values()) {
                server.receive(c.advertise());
            }
            List<KeyAdvertisement> roster = server.closeAdvertising();
            for (SecAggClient c : clients.values()) {
                server.receive(c.shareKeys(roster));
            }
            for (Map.Entry<String, List<EncryptedShare>> e : server.closeSharing().entrySet()) {
                clients.get(e.getKey()).receiveShares(e.getValue());
            }
            for (String site : clients.keySet()) {
                if (!dropBeforeInput.contains(site)) {
                    MaskedInput m = clients.get(site).maskEncoded(inputs.get(site), 1);
                    masked.put(site, m.masked());
                    server.receive(m);
                }
            }
            UnmaskRequest request = server.closeMasking();
            for (String site : request.survivors()) {
                server.receive(clients.get(site).unmask(request));
            }
            return server.finish();
        }

        long[] plainSum(Set<String> without) {
            long[] sum = new long[LENGTH];
            inputs.forEach((site, x) -> {
                if (!without.contains(site)) {
                    for (int i = 0; i < LENGTH; i++) {
                        sum[i] += x[i];
                    }
                }
            });
            return sum;
        }
    }

    @Test
    void theUnmaskedSumIsTheSitesIntegerInputsSummedBitForBit() {
        Round round = new Round(1, BigInteger.ZERO);
        SecAggResult result = round.run(Set.of());
        assertThat(result.sum()).containsExactly(round.plainSum(Set.of()));
        assertThat(result.survivors()).hasSize(4);
    }

    @Test
    void aSiteThatDropsBeforeItsInputLeavesExactlyTheSurvivorsSum() {
        Round round = new Round(2, BigInteger.valueOf(1_000_003));
        SecAggResult result = round.run(Set.of("site-c"));
        assertThat(result.dropped()).containsExactly("site-c");
        assertThat(result.sum()).containsExactly(round.plainSum(Set.of("site-c")));
    }

    @Test
    void theNoiseSharesSurviveTheRingAndNoMaskedInputLooksLikeItsShare() {
        BigInteger v = BigInteger.valueOf(250_000_000L); // a share's σ ≈ 15,811 grid units
        Round round = new Round(3, v);
        long[] noNoise = new Round(3, BigInteger.ZERO).plainSum(Set.of());
        SecAggResult result = round.run(Set.of());
        double squares = 0;
        for (int i = 0; i < LENGTH; i++) {
            double n = result.sum()[i] - noNoise[i];
            squares += n * n;
        }
        // four shares: standard deviation 2·√v; the sample std of 2,000 normals is within 5 % (3 standard errors)
        double expected = 2 * Math.sqrt(v.doubleValue());
        assertThat(Math.sqrt(squares / LENGTH)).isCloseTo(expected, within(0.05 * expected));
        for (String site : round.inputs.keySet()) {
            double c = correlation(round.inputs.get(site), round.masked.get(site));
            // masks are uniform on 64 bits: the correlation of 2,000 pairs is about ±0.022; 0.1 is 4.5 of those
            assertThat(Math.abs(c)).as(site).isLessThan(0.1);
        }
    }

    @Test
    void anInputOfTheWrongLengthIsRefused() {
        Round round = new Round(4, BigInteger.ZERO);
        for (SecAggClient c : round.clients.values()) {
            round.server.receive(c.advertise());
        }
        List<KeyAdvertisement> roster = round.server.closeAdvertising();
        for (SecAggClient c : round.clients.values()) {
            round.server.receive(c.shareKeys(roster));
        }
        for (Map.Entry<String, List<EncryptedShare>> e : round.server.closeSharing().entrySet()) {
            round.clients.get(e.getKey()).receiveShares(e.getValue());
        }
        assertThatThrownBy(() -> round.clients.get("site-a").maskEncoded(new long[LENGTH - 1], 1))
                .hasMessageContaining("1999 coordinates for a round of 2000");
    }

    private static double correlation(long[] a, long[] b) {
        double ma = 0;
        double mb = 0;
        for (int i = 0; i < a.length; i++) {
            ma += a[i];
            mb += b[i];
        }
        ma /= a.length;
        mb /= b.length;
        double sab = 0;
        double saa = 0;
        double sbb = 0;
        for (int i = 0; i < a.length; i++) {
            double x = a[i] - ma;
            double y = b[i] - mb;
            sab += x * y;
            saa += x * x;
            sbb += y * y;
        }
        return sab / Math.sqrt(saa * sbb);
    }
}
