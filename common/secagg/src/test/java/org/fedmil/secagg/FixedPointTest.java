package org.fedmil.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.List;
import org.junit.jupiter.api.Test;

class FixedPointTest {

    @Test
    void theChosenScaleIsTheLargestThatKeepsKTimesNmaxTimesBTimes2ToTheFBelow2To62() {
        SecAggParameters p = SecAggParameters.choose("f", 1, 50, 26, 10, 100_000, 1.0);
        double m = 50.0 * 100_000 * 1.0;
        assertThat(m * Math.pow(2, p.fractionalBits())).isLessThanOrEqualTo(Math.pow(2, 62));
        assertThat(m * Math.pow(2, p.fractionalBits() + 1)).isGreaterThan(Math.pow(2, 62));
        assertThat(p.fractionalBits()).isEqualTo(39);
        assertThat(p.meanErrorBound()).isEqualTo(Math.pow(2, -40));
    }

    @Test
    void theWorstCaseSumOfKSitesAtTheBoundDoesNotWrapAround() {
        int k = 50;
        SecAggParameters p = SecAggParameters.choose("f", 1, k, k, 2, 100_000, 3.0);
        long[] sum = new long[2];
        for (int s = 0; s < k; s++) {
            long[] e = FixedPoint.encode(new float[] {3.0f, -1e9f}, 100_000, p).values();
            sum[0] += e[0];
            sum[1] += e[1];
        }
        float[] mean = FixedPoint.decodeMean(sum, k * 100_000L, p);
        assertThat(mean[0]).isEqualTo(3.0f);
        assertThat(mean[1]).isEqualTo(-3.0f); // clamped to −B, and still no wrap-around
    }

    @Test
    void aFederationThatCouldOverflowIsRefusedNamingTheBounds() {
        assertThatThrownBy(() -> SecAggParameters.choose("big", 4, 1_000, 600, 10, (1L << 29) - 1, 1e6))
                .isInstanceOf(SecAggException.class)
                .hasMessageContaining("K=1000")
                .hasMessageContaining("fewer than 16 fractional bits")
                .hasMessageContaining("lower the clip norm");
        assertThatThrownBy(() -> new SecAggParameters("big", 4, 1_000, 600, 10, 100_000, 1e6, 40))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds 2^62");
    }

    @Test
    void aBagCountAboveTheEncodedBoundIsRefused() {
        SecAggParameters p = SecAggParameters.choose("f", 1, 3, 2, 1, 10, 1.0);
        assertThatThrownBy(() -> FixedPoint.encode(new float[] {0.1f}, 11, p))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside 1..10");
    }

    @Test
    void anyTSharesRebuildTheSecretAndTheyDisagreeWithTMinusOne() {
        SecureRandom r = new SecureRandom();
        byte[] secret = new byte[32];
        r.nextBytes(secret);
        List<Shamir.Share> shares = Shamir.split(secret, 6, 4, r);
        assertThat(Shamir.combine(List.of(shares.get(5), shares.get(0), shares.get(3), shares.get(2)), 32))
                .hasValueSatisfying(s -> assertThat(s).isEqualTo(secret));
        assertThat(Shamir.combine(shares.subList(0, 3), 32).map(s -> java.util.Arrays.equals(s, secret)))
                .isNotEqualTo(java.util.Optional.of(true));
    }

    @Test
    void aRebuiltMaskingKeyAgreesLikeTheOriginal() {
        SecureRandom r = new SecureRandom();
        X25519KeyPair a = X25519KeyPair.generate(r);
        X25519KeyPair b = X25519KeyPair.generate(r);
        List<Shamir.Share> shares = Shamir.split(a.privateKey(), 3, 2, r);
        X25519KeyPair rebuilt = X25519KeyPair.fromPrivate(Shamir.combine(shares.subList(1, 3), 32).orElseThrow());
        assertThat(rebuilt.publicKey()).isEqualTo(a.publicKey());
        assertThat(rebuilt.agree(b.publicKey(), "b")).isEqualTo(b.agree(a.publicKey(), "a"));
    }
}
