package org.fedmil.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The whole protocol in memory: sites and coordinator exchange the message records directly, no network. */
class SecAggProtocolTest {

    private static final int LENGTH = 2_000;

    @TempDir
    static java.nio.file.Path pki;
    /** Issues every site's certificate: each site signs its keys and checks the others' against this CA. */
    private static TestConsortium consortium;

    @BeforeAll
    static void consortium() {
        consortium = new TestConsortium(pki.resolve("consortium"), "test");
    }

    /** One in-memory run; sites listed in a drop set stop answering from that step on. */
    private static final class Run {
        final SecAggParameters params;
        final SecAggServer server;
        final Map<String, SecAggClient> clients = new TreeMap<>();
        final Map<String, float[]> deltas = new TreeMap<>();
        final Map<String, Long> bags = new TreeMap<>();
        /** Everything the coordinator received, in order: the view of an honest-but-curious coordinator. */
        final List<Object> received = new ArrayList<>();
        /** Each site's share of distributed DP noise, or null for none. */
        org.fedmil.privacy.DistributedDiscreteGaussian noise;

        Run(int sites, int threshold, long seed) {
            this(SecAggParameters.choose("fed-test", 3, sites, threshold, LENGTH, 1_000, 1.0), seed);
        }

        /** A run whose sites add distributed DP noise for clip norm C and noise multiplier z. */
        Run(int sites, int threshold, long seed, double clipNorm, double z) {
            this(SecAggParameters.chooseForDistributedNoise("fed-test", 3, sites, threshold, LENGTH, 1_000,
                    clipNorm * (1 + 10 * z), clipNorm), seed);
            noise = new org.fedmil.privacy.DistributedDiscreteGaussian(clipNorm, z, threshold);
        }

        private Run(SecAggParameters parameters, long seed) {
            params = parameters;
            int sites = params.invitedSites();
            server = new SecAggServer(params);
            Random r = new Random(seed);
            SecureRandom sr = new SecureRandom();
            for (int k = 0; k < sites; k++) {
                String id = "site-" + (char) ('a' + k);
                clients.put(id, new SecAggClient(id, params, consortium.site(id), sr));
                float[] d = new float[LENGTH];
                for (int i = 0; i < LENGTH; i++) {
                    d[i] = (float) (0.05 * r.nextGaussian());
                }
                deltas.put(id, d);
                bags.put(id, 1L + r.nextInt(1_000));
            }
        }

        SecAggResult run(Set<String> dropBeforeSharing, Set<String> dropBeforeInput, Set<String> dropBeforeUnmask) {
            for (SecAggClient c : clients.values()) {
                KeyAdvertisement a = c.advertise();
                received.add(a);
                server.receive(a);
            }
            List<KeyAdvertisement> roster = server.closeAdvertising();
            for (SecAggClient c : clients.values()) {
                ShareBundle b = c.shareKeys(roster);
                if (!dropBeforeSharing.contains(c.site())) {
                    received.add(b);
                    server.receive(b);
                }
            }
            Map<String, List<EncryptedShare>> routed = server.closeSharing();
            for (Map.Entry<String, List<EncryptedShare>> e : routed.entrySet()) {
                clients.get(e.getKey()).receiveShares(e.getValue());
            }
            for (String site : routed.keySet()) {
                if (!dropBeforeInput.contains(site)) {
                    MaskedInput m = clients.get(site).maskInput(deltas.get(site), bags.get(site), noise);
                    received.add(m);
                    server.receive(m);
                }
            }
            UnmaskRequest request = server.closeMasking();
            for (String site : request.survivors()) {
                if (!dropBeforeUnmask.contains(site)) {
                    UnmaskResponse u = clients.get(site).unmask(request);
                    received.add(u);
                    server.receive(u);
                }
            }
            return server.finish();
        }

        /** Plain FedAvg of the given sites, in double: Σ n_k x_k / Σ n_k. */
        double[] plainMean(List<String> sites) {
            double[] sum = new double[LENGTH];
            long n = 0;
            for (String s : sites) {
                for (int i = 0; i < LENGTH; i++) {
                    sum[i] += bags.get(s) * (double) deltas.get(s)[i];
                }
                n += bags.get(s);
            }
            for (int i = 0; i < LENGTH; i++) {
                sum[i] /= n;
            }
            return sum;
        }
    }

    private static void assertMeanWithinFixedPointError(Run run, SecAggResult result) {
        double[] expected = run.plainMean(result.survivors());
        float[] mean = result.mean();
        double tolerance = run.params.meanErrorBound();
        double worst = 0;
        for (int i = 0; i < LENGTH; i++) {
            // the fixed-point bound, plus float32 rounding of the decoded mean
            double allowed = tolerance + Math.ulp((float) expected[i]);
            assertThat(Math.abs(mean[i] - expected[i])).as("coordinate %d", i).isLessThanOrEqualTo(allowed);
            worst = Math.max(worst, Math.abs(mean[i] - expected[i]));
        }
        assertThat(worst).isGreaterThan(0.0); // the comparison did compare numbers that are not all trivially equal
    }

    @Test
    void unmaskedSumEqualsBagWeightedFedAvgWithinTheStatedFixedPointError() {
        Run run = new Run(5, 3, 1);
        SecAggResult result = run.run(Set.of(), Set.of(), Set.of());
        assertThat(result.survivors()).hasSize(5);
        assertThat(result.dropped()).isEmpty();
        assertThat(result.totalBags()).isEqualTo(run.bags.values().stream().mapToLong(Long::longValue).sum());
        assertMeanWithinFixedPointError(run, result);
        assertThat(result.badShares()).isEmpty();
    }

    /** The decoded mean minus plain FedAvg, per coordinate, checked against K·σ_local² in the ring. */
    private static void assertNoiseOfTheMeanIs(Run run, SecAggResult result, int contributors) {
        double[] plain = run.plainMean(result.survivors());
        float[] mean = result.mean();
        double scale = run.params.integerScale();
        double local = run.noise.localSigma(run.noise.sensitivity(scale, LENGTH));
        // ring noise Σ of `contributors` N_Z(0, s²), read back as a mean: divided by 2^f · Σ bags
        double expected = Math.sqrt(contributors) * local / (Math.scalb(1.0, run.params.fractionalBits())
                * result.totalBags());
        double sum = 0;
        double squares = 0;
        for (int i = 0; i < LENGTH; i++) {
            double e = mean[i] - plain[i];
            sum += e;
            squares += e * e;
            // equal to plain FedAvg + noise: nothing but the noise separates them (7 σ is ~1e-12 per coordinate)
            assertThat(Math.abs(e)).as("coordinate %d", i).isLessThan(7 * expected);
        }
        double std = Math.sqrt(squares / LENGTH);
        // standard error of a standard deviation from 2,000 draws is 1.6 %; 10 % is 6 of them
        assertThat(std / expected).isCloseTo(1, within(0.10));
        assertThat(sum / LENGTH).isCloseTo(0, within(6 * expected / Math.sqrt(LENGTH)));
    }

    @Test
    void distributedNoiseMakesTheSumCarryTheCentralVarianceFromEverySurvivorsShare() {
        // C = 5 is above every delta's norm (≈ 0.05·√2000 ≈ 2.2): FedAvg of the unclipped deltas is the reference
        Run run = new Run(5, 3, 4, 5, 1.0);
        SecAggResult result = run.run(Set.of(), Set.of(), Set.of());
        assertThat(result.survivors()).hasSize(5);
        // 5 survivors each adding variance z²Δ²/3: the sum has 5/3 of the target z²Δ², never less
        assertNoiseOfTheMeanIs(run, result, 5);
        // the central noise in mean units is z·C·n_max/Σn (plus Δ's rounding slack) at exactly t survivors
        double target = 1.0 * 5 * run.params.maxBags() / result.totalBags();
        double atThreshold = Math.sqrt(3) * run.noise.localSigma(run.noise.sensitivity(run.params.integerScale(),
                LENGTH)) / Math.scalb(1.0, run.params.fractionalBits()) / result.totalBags();
        assertThat(atThreshold / target).isCloseTo(1, within(1e-5));
    }

    @Test
    void withADropoutTheSumCarriesTheNoiseOfTheSurvivorsOnly() {
        Run run = new Run(5, 3, 5, 5, 0.5);
        SecAggResult result = run.run(Set.of(), Set.of("site-b"), Set.of());
        assertThat(result.survivors()).hasSize(4).doesNotContain("site-b");
        assertNoiseOfTheMeanIs(run, result, 4);
    }

    @Test
    void distributedNoiseClipsEachDeltaToTheClipNormBeforeEncoding() {
        double c = 0.5; // below every delta's norm: all clipped
        // noise small against the clip's effect (≈ 0.03 per coordinate), so a missing clip would show
        Run run = new Run(3, 2, 6, c, 0.01);
        Map<String, float[]> raw = new TreeMap<>(run.deltas);
        SecAggResult result = run.run(Set.of(), Set.of(), Set.of());
        for (Map.Entry<String, float[]> e : raw.entrySet()) {
            float[] d = e.getValue();
            double norm = 0;
            for (float x : d) {
                norm += (double) x * x;
            }
            norm = Math.sqrt(norm);
            float[] clippedDelta = new float[LENGTH];
            for (int i = 0; i < LENGTH; i++) {
                clippedDelta[i] = (float) (d[i] * (c / norm));
            }
            run.deltas.put(e.getKey(), clippedDelta);
        }
        assertNoiseOfTheMeanIs(run, result, 3); // FedAvg of the clipped deltas plus the noise, nothing else
    }

    @Test
    void oneSiteDroppingAfterKeyExchangeIsUnmaskedFromTheOthersShares() {
        Run run = new Run(5, 3, 2);
        SecAggResult result = run.run(Set.of(), Set.of("site-c"), Set.of());
        assertThat(result.dropped()).containsExactly("site-c");
        assertThat(result.survivors()).containsExactly("site-a", "site-b", "site-d", "site-e");
        assertMeanWithinFixedPointError(run, result);
    }

    @Test
    void nMinusTDropoutsAfterKeyExchangeStillFinish() {
        Run run = new Run(7, 4, 3);
        // n − t = 3 sites drop after sharing keys: exactly t survive, and all t must answer the unmasking step.
        SecAggResult result = run.run(Set.of(), Set.of("site-a", "site-d", "site-g"), Set.of());
        assertThat(result.survivors()).hasSize(4);
        assertMeanWithinFixedPointError(run, result);
    }

    @Test
    void survivorsSilentInUnmaskingAreFineWhileTAnswer() {
        Run run = new Run(6, 3, 4);
        // f never shares keys (not in U2), b drops before its input, a goes silent before unmasking: c, d, e answer.
        SecAggResult result = run.run(Set.of("site-f"), Set.of("site-b"), Set.of("site-a"));
        assertThat(result.dropped()).containsExactly("site-b");
        assertThat(result.survivors()).containsExactly("site-a", "site-c", "site-d", "site-e");
        assertMeanWithinFixedPointError(run, result);
    }

    @Test
    void fewerThanTSurvivorsAbortCleanlyAndNothingIsAggregated() {
        Run run = new Run(5, 3, 5);
        assertThatThrownBy(() -> run.run(Set.of(), Set.of("site-a", "site-b", "site-c"), Set.of()))
                .isInstanceOf(SecAggException.class)
                .hasMessageContaining("only 2 sites sent masked inputs, fewer than the threshold t=3")
                .hasMessageContaining("nothing is aggregated");
        // the aborted round gives no result, however it is asked
        assertThatThrownBy(run.server::finish).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void fewerThanTUnmaskingAnswersAbort() {
        Run run = new Run(5, 3, 6);
        assertThatThrownBy(() -> run.run(Set.of(), Set.of(), Set.of("site-a", "site-b", "site-c")))
                .isInstanceOf(SecAggException.class)
                .hasMessageContaining("only 2 survivors sent unmasking shares");
    }

    /**
     * Everything the coordinator receives, for two very different deltas of one site (all zeros, and a large
     * structured ramp), looks the same: uniform bits, no correlation with the delta. It even stays so after the
     * coordinator strips the site's self mask, which it legitimately learns in the unmasking step: the pairwise
     * masks of the other survivors still hide the input.
     */
    @Test
    void aMaskedUploadIsStatisticallyIndependentOfTheSitesDelta() {
        long[][] seen = new long[2][];
        float[][] targets = new float[2][LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            targets[1][i] = (float) (0.9 * Math.sin(i / 7.0));
        }
        for (int variant = 0; variant < 2; variant++) {
            Run run = new Run(4, 3, 7);
            run.deltas.put("site-a", targets[variant]);
            SecAggResult result = run.run(Set.of(), Set.of(), Set.of());
            MaskedInput upload = null;
            for (Object o : run.received) {
                if (o instanceof MaskedInput m && m.site().equals("site-a")) {
                    upload = m;
                }
            }
            assertThat(upload).isNotNull();
            long[] y = upload.masked();
            // strip the self mask the coordinator can rebuild from the unmasking shares it received
            List<Shamir.Share> seedShares = new ArrayList<>();
            for (Object o : run.received) {
                if (o instanceof UnmaskResponse r) {
                    seedShares.add(r.selfMaskShares().get("site-a"));
                }
            }
            byte[] seed = Shamir.combine(seedShares.subList(0, 3), 32).orElseThrow();
            MaskPrg.addMask(y, seed, -1);
            seen[variant] = y;
            assertMeanWithinFixedPointError(run, result);
        }
        for (long[] y : seen) {
            assertLooksUniform(y);
        }
        double[] ramp = new double[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            ramp[i] = targets[1][i];
        }
        // a linear test cannot tell the input from the upload: |r| below 4 standard errors of 1/sqrt(n)
        double bound = 4 / Math.sqrt(LENGTH);
        assertThat(Math.abs(correlation(asDoubles(seen[1]), ramp))).isLessThan(bound);
        assertThat(Math.abs(correlation(asDoubles(seen[0]), ramp))).isLessThan(bound);
        assertThat(Math.abs(correlation(asDoubles(seen[0]), asDoubles(seen[1])))).isLessThan(bound);
        // and without masks the same test does see it (the test has power)
        long[] clear = FixedPoint.encode(targets[1], 10, SecAggParameters.choose("f", 1, 4, 3, LENGTH, 1_000, 1.0))
                .values();
        assertThat(correlation(asDoubles(clear), ramp)).isGreaterThan(0.99);
    }

    private static void assertLooksUniform(long[] y) {
        // every one of the 64 bit positions is set in half the words, within 5.8 standard errors: the test makes
        // 128 such checks (64 bits, two uploads), and at 4.5 one honest run in about a thousand failed (seen once);
        // 5.8 keeps the chance of a false alarm below 10^-6, while a bit left unmasked is about 45 errors off
        double se = Math.sqrt(y.length * 0.25);
        for (int bit = 0; bit < 64; bit++) {
            int ones = 0;
            for (long v : y) {
                ones += (int) ((v >>> bit) & 1);
            }
            assertThat(Math.abs(ones - y.length / 2.0)).as("bit %d", bit).isLessThan(5.8 * se);
        }
        // byte histogram: chi-square with 255 degrees of freedom, below its 99.99th percentile (~360)
        long[] counts = new long[256];
        for (long v : y) {
            for (int b = 0; b < 8; b++) {
                counts[(int) ((v >>> (8 * b)) & 0xff)]++;
            }
        }
        double expected = y.length * 8 / 256.0;
        double chi2 = 0;
        for (long c : counts) {
            chi2 += (c - expected) * (c - expected) / expected;
        }
        assertThat(chi2).isLessThan(360.0);
    }

    private static double[] asDoubles(long[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            d[i] = v[i];
        }
        return d;
    }

    private static double correlation(double[] a, double[] b) {
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
            sab += (a[i] - ma) * (b[i] - mb);
            saa += (a[i] - ma) * (a[i] - ma);
            sbb += (b[i] - mb) * (b[i] - mb);
        }
        return sab / Math.sqrt(saa * sbb);
    }

    @Test
    void aCiphertextAlteredInTransitIsDetectedAndItsSenderNamed() {
        Run run = new Run(4, 3, 8);
        List<KeyAdvertisement> roster = new ArrayList<>();
        for (SecAggClient c : run.clients.values()) {
            KeyAdvertisement a = c.advertise();
            run.server.receive(a);
        }
        roster.addAll(run.server.closeAdvertising());
        for (SecAggClient c : run.clients.values()) {
            run.server.receive(c.shareKeys(roster));
        }
        Map<String, List<EncryptedShare>> routed = run.server.closeSharing();
        List<EncryptedShare> forD = new ArrayList<>(routed.get("site-d"));
        EncryptedShare fromB = forD.get(1);
        byte[] ct = fromB.ciphertext();
        ct[20] ^= 1;
        forD.set(1, new EncryptedShare(fromB.from(), fromB.to(), ct));
        assertThatThrownBy(() -> run.clients.get("site-d").receiveShares(forD))
                .isInstanceOfSatisfying(SecAggException.class,
                        e -> assertThat(e.culprit()).contains("site-b"))
                .hasMessageContaining("from site-b to site-d")
                .hasMessageContaining("does not authenticate");
    }

    @Test
    void aCiphertextRedirectedToAnotherSiteDoesNotAuthenticate() {
        Run run = new Run(3, 2, 9);
        List<KeyAdvertisement> roster = honestRoster(run);
        for (SecAggClient c : run.clients.values()) {
            run.server.receive(c.shareKeys(roster));
        }
        Map<String, List<EncryptedShare>> routed = run.server.closeSharing();
        List<EncryptedShare> forC = new ArrayList<>();
        for (EncryptedShare s : routed.get("site-b")) {
            forC.add(new EncryptedShare(s.from(), "site-c", s.ciphertext()));
        }
        assertThatThrownBy(() -> run.clients.get("site-c").receiveShares(forC))
                .isInstanceOf(SecAggException.class).hasMessageContaining("does not authenticate");
    }

    @Test
    void aHelperSendingABadUnmaskingShareIsNamedAndTheRoundStillFinishesFromTheGoodShares() {
        Run run = new Run(5, 3, 10);
        throughSharing(run);
        for (String site : List.of("site-a", "site-b", "site-c", "site-d")) {
            run.server.receive(run.clients.get(site).maskInput(run.deltas.get(site), run.bags.get(site)));
        }
        UnmaskRequest request = run.server.closeMasking();
        assertThat(request.dropped()).containsExactly("site-e");
        for (String site : request.survivors()) {
            UnmaskResponse r = run.clients.get(site).unmask(request);
            if (site.equals("site-a")) {
                Map<String, Shamir.Share> keys = new TreeMap<>(r.maskingKeyShares());
                Shamir.Share s = keys.get("site-e");
                keys.put("site-e", new Shamir.Share(s.x(), s.y().add(java.math.BigInteger.ONE)));
                Map<String, Shamir.Share> seeds = new TreeMap<>(r.selfMaskShares());
                Shamir.Share b = seeds.get("site-c");
                seeds.put("site-c", new Shamir.Share(b.x(), b.y().add(java.math.BigInteger.TWO)));
                r = new UnmaskResponse(site, seeds, keys);
            }
            run.server.receive(r);
        }
        SecAggResult result = run.server.finish();
        assertThat(result.badShares()).containsOnlyKeys("site-a");
        assertThat(result.badShares().get("site-a")).contains("site-e's masking key").contains("site-c's self-mask");
        assertMeanWithinFixedPointError(run, result);
    }

    @Test
    void aBadShareAmongExactlyTAnswersAbortsTheRound() {
        Run run = new Run(3, 2, 11);
        throughSharing(run);
        for (String site : List.of("site-a", "site-b")) {
            run.server.receive(run.clients.get(site).maskInput(run.deltas.get(site), run.bags.get(site)));
        }
        UnmaskRequest request = run.server.closeMasking();
        UnmaskResponse a = run.clients.get("site-a").unmask(request);
        Map<String, Shamir.Share> seeds = new TreeMap<>(a.selfMaskShares());
        Shamir.Share s = seeds.get("site-b");
        seeds.put("site-b", new Shamir.Share(s.x(), s.y().add(java.math.BigInteger.ONE)));
        run.server.receive(new UnmaskResponse("site-a", seeds, a.maskingKeyShares()));
        run.server.receive(run.clients.get("site-b").unmask(request));
        assertThatThrownBy(run.server::finish).isInstanceOf(SecAggException.class)
                .hasMessageContaining("site-b's self-mask seed do not rebuild the committed value");
    }

    @Test
    void aCoordinatorTellingSitesDifferentSurvivorListsIsExposedByWhatTheyRevealed() {
        Run run = new Run(5, 3, 9);
        throughSharing(run);
        for (String site : run.clients.keySet()) {
            run.server.receive(run.clients.get(site).maskInput(run.deltas.get(site), run.bags.get(site)));
        }
        List<String> all = List.copyOf(run.clients.keySet());
        // the lie: a, b, c are told site-e survived (they reveal its seed); d is told site-e dropped (its key)
        UnmaskRequest honest = new UnmaskRequest(all, List.of());
        UnmaskRequest lie = new UnmaskRequest(List.of("site-a", "site-b", "site-c", "site-d"), List.of("site-e"));
        List<UnmaskReveal> reveals = new ArrayList<>();
        for (String site : List.of("site-a", "site-b", "site-c")) {
            reveals.add(reveal(run.clients.get(site).unmask(honest)));
        }
        reveals.add(reveal(run.clients.get("site-d").unmask(lie)));
        assertThat(UnmaskReveal.bothSecretsRevealed(reveals)).containsExactly("site-e");
        // with one request for all, nothing is flagged
        assertThat(UnmaskReveal.bothSecretsRevealed(reveals.subList(0, 3))).isEmpty();
    }

    private static UnmaskReveal reveal(UnmaskResponse r) {
        return new UnmaskReveal(r.site(), List.copyOf(r.selfMaskShares().keySet()),
                List.copyOf(r.maskingKeyShares().keySet()));
    }

    @Test
    void aSiteRefusesToRevealBothSecretsOfOnePeer() {
        Run run = new Run(3, 2, 12);
        throughSharing(run);
        SecAggClient a = run.clients.get("site-a");
        a.maskInput(run.deltas.get("site-a"), run.bags.get("site-a"));
        UnmaskRequest lying = new UnmaskRequest(List.of("site-a", "site-b", "site-c"), List.of("site-b"));
        assertThatThrownBy(() -> a.unmask(lying)).isInstanceOf(SecAggException.class)
                .hasMessageContaining("as both survivor and dropped");
    }

    @Test
    void aSiteRefusesARosterWithoutItsOwnKeys() {
        Run run = new Run(3, 2, 13);
        List<KeyAdvertisement> roster = new ArrayList<>();
        for (SecAggClient c : run.clients.values()) {
            roster.add(c.advertise());
        }
        SecAggClient other = new SecAggClient("site-a", run.params, consortium.site("site-a"), new SecureRandom());
        roster.set(0, other.advertise());
        assertThatThrownBy(() -> run.clients.get("site-a").shareKeys(roster)).isInstanceOf(SecAggException.class)
                .hasMessageContaining("does not carry site-a's own keys");
    }

    @Test
    void theServerRefusesAMaskedInputOfTheWrongLengthOrBagCount() {
        Run run = new Run(3, 2, 14);
        List<KeyAdvertisement> roster = honestRoster(run);
        for (SecAggClient c : run.clients.values()) {
            run.server.receive(c.shareKeys(roster));
        }
        run.server.closeSharing();
        assertThatThrownBy(() -> run.server.receive(new MaskedInput("site-a", 3, new long[LENGTH - 1])))
                .isInstanceOf(SecAggException.class).hasMessageContaining("expects " + LENGTH);
        assertThatThrownBy(() -> run.server.receive(new MaskedInput("site-a", 1_001, new long[LENGTH])))
                .isInstanceOf(SecAggException.class).hasMessageContaining("outside 1..1000");
    }

    /** The honest roster, then every site's shares routed to their owners: the round ready for masked inputs. */
    private static List<KeyAdvertisement> throughSharing(Run run) {
        List<KeyAdvertisement> roster = honestRoster(run);
        for (SecAggClient c : run.clients.values()) {
            run.server.receive(c.shareKeys(roster));
        }
        run.server.closeSharing().forEach((site, shares) -> run.clients.get(site).receiveShares(shares));
        return roster;
    }

    /** Every site's advertisement reaches the server, which closes the roster as an honest coordinator would. */
    private static List<KeyAdvertisement> honestRoster(Run run) {
        for (SecAggClient c : run.clients.values()) {
            run.server.receive(c.advertise());
        }
        return new ArrayList<>(run.server.closeAdvertising());
    }

    private static int indexOf(List<KeyAdvertisement> roster, String site) {
        for (int i = 0; i < roster.size(); i++) {
            if (roster.get(i).site().equals(site)) {
                return i;
            }
        }
        throw new AssertionError(site + " is not in the roster");
    }

    private static void everySiteRefuses(Run run, List<KeyAdvertisement> roster, String culprit, String why) {
        for (SecAggClient c : run.clients.values()) {
            assertThatThrownBy(() -> c.shareKeys(roster)).as(c.site())
                    .isInstanceOfSatisfying(SecAggException.class, e -> assertThat(e.culprit()).contains(culprit))
                    .hasMessageContaining("carries keys for " + culprit + " that are not " + culprit + "'s")
                    .hasMessageContaining(why)
                    .hasMessageContaining(c.site() + " withdraws from this round");
        }
    }

    @Test
    void aCoordinatorThatSwapsOneSitesKeysInTheRosterIsDetectedByEverySite() {
        Run run = new Run(4, 3, 15);
        List<KeyAdvertisement> roster = honestRoster(run);
        int b = indexOf(roster, "site-b");
        KeyAdvertisement real = roster.get(b);
        // the coordinator's own key pairs in place of site-b's, with site-b's certificate and signature kept
        X25519KeyPair enc = X25519KeyPair.generate(new SecureRandom());
        X25519KeyPair mask = X25519KeyPair.generate(new SecureRandom());
        roster.set(b, new KeyAdvertisement("site-b", enc.publicKey(), mask.publicKey(), real.certificate(),
                real.signature()));
        everySiteRefuses(run, roster, "site-b", "bad signature");
        // withdrawn for the round: the coordinator gets no second try with the honest roster
        List<KeyAdvertisement> honest = new ArrayList<>(roster);
        honest.set(b, real);
        assertThatThrownBy(() -> run.clients.get("site-a").shareKeys(honest))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("WITHDRAWN");
    }

    @Test
    void swappedKeysSignedWithTheCoordinatorsOwnCertificateAreRefused() {
        Run run = new Run(4, 3, 16);
        List<KeyAdvertisement> roster = honestRoster(run);
        int b = indexOf(roster, "site-b");
        X25519KeyPair enc = X25519KeyPair.generate(new SecureRandom());
        X25519KeyPair mask = X25519KeyPair.generate(new SecureRandom());
        roster.set(b, consortium.coordinator().sign(run.params, "site-b", enc.publicKey(), mask.publicKey()));
        everySiteRefuses(run, roster, "site-b", "is not a site (TLS client) certificate");
    }

    @Test
    void swappedKeysSignedBySiteCertificateOfAnotherCaAreRefused(@TempDir java.nio.file.Path elsewhere) {
        Run run = new Run(4, 3, 17);
        List<KeyAdvertisement> roster = honestRoster(run);
        int b = indexOf(roster, "site-b");
        X25519KeyPair enc = X25519KeyPair.generate(new SecureRandom());
        X25519KeyPair mask = X25519KeyPair.generate(new SecureRandom());
        // a CA with the very same name, but not the consortium's key
        RosterAuthentication impostor = new TestConsortium(elsewhere, "test").site("site-b");
        roster.set(b, impostor.sign(run.params, "site-b", enc.publicKey(), mask.publicKey()));
        everySiteRefuses(run, roster, "site-b", "is not signed by the consortium CA");
    }

    @Test
    void aSitesKeysFromAnotherRoundOrSignedForAnotherSiteAreRefused() {
        Run run = new Run(4, 3, 18);
        List<KeyAdvertisement> roster = honestRoster(run);
        int b = indexOf(roster, "site-b");
        SecAggParameters p = run.params;
        SecAggParameters otherRound = new SecAggParameters(p.federationId(), p.round() + 1, p.invitedSites(),
                p.threshold(), p.length(), p.maxBags(), p.coordinateBound(), p.fractionalBits());
        KeyAdvertisement replayed = new SecAggClient("site-b", otherRound, consortium.site("site-b"),
                new SecureRandom()).advertise();
        List<KeyAdvertisement> withReplay = new ArrayList<>(roster);
        withReplay.set(b, replayed);
        assertThatThrownBy(() -> run.clients.get("site-a").shareKeys(withReplay))
                .isInstanceOfSatisfying(SecAggException.class, e -> assertThat(e.culprit()).contains("site-b"))
                .hasMessageContaining("bad signature");
        // site-c's genuine keys and certificate relabelled as site-b's
        KeyAdvertisement c = roster.get(indexOf(roster, "site-c"));
        List<KeyAdvertisement> relabelled = new ArrayList<>(roster);
        relabelled.set(b, new KeyAdvertisement("site-b", c.encryptionKey(), c.maskingKey(), c.certificate(),
                c.signature()));
        assertThatThrownBy(() -> run.clients.get("site-d").shareKeys(relabelled))
                .isInstanceOfSatisfying(SecAggException.class, e -> assertThat(e.culprit()).contains("site-b"))
                .hasMessageContaining("signed with the certificate of 'site-c', not of 'site-b'");
    }

    @Test
    void theServerRefusesAKeyAdvertisementItsSiteDidNotSign() {
        Run run = new Run(3, 2, 19);
        KeyAdvertisement a = run.clients.get("site-a").advertise();
        KeyAdvertisement b = run.clients.get("site-b").advertise();
        // site-a's keys, presented by site-b's TLS certificate
        assertThatThrownBy(() -> run.server.receive(new KeyAdvertisement("site-b", a.encryptionKey(),
                a.maskingKey(), b.certificate(), a.signature())))
                .isInstanceOfSatisfying(SecAggException.class, e -> assertThat(e.culprit()).contains("site-b"))
                .hasMessageContaining("site-b's key advertisement for round 3 is refused: bad signature");
        run.server.receive(b);
        assertThat(run.server.advertised()).containsExactly("site-b");
    }
}
