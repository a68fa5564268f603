package org.fedmil.site.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.Random;
import java.util.TreeMap;
import org.fedmil.mil.train.DpFedSgd;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.secagg.EncryptedShare;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.SecAggException;
import org.fedmil.secagg.SecAggParameters;
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

/**
 * DP-FedSGD shares through real site sessions and a real server: the mask step masks the integer share as it is
 * (the unmasked sum is the shares' sum bit for bit), charges (q, z′), and a site helps unmask no survivor set
 * smaller than K_min.
 */
class DpFedSgdMaskTest {

    private static final int LENGTH = 2_000;
    private static final List<String> SITES = List.of("site-a", "site-b", "site-c");
    private static final DpFedSgd DP = new DpFedSgd(1.0, 1.2, 0.25, 3);

    @TempDir
    Path dir;

    private static Outbound share(int round) {
        // the zero delta the pipeline carries for the header's tensor specs; the share travels beside it
        TensorSet zero = Deltas.gaussian(1, LENGTH, 0.0);
        return Outbound.trained("fed-test", round, round - 1, Deltas.BASE_SHA, new Outbound.Release(
                OptionalDouble.of(DP.clipNorm()), OptionalDouble.of(DP.noiseMultiplier()), DeltaEncoding.FLOAT32,
                false, java.util.Optional.empty(), java.util.Optional.of(DP)), zero, 40, 0);
    }

    private record Round(SecAggServer server, Map<String, SecAggSession> sessions, List<KeyAdvertisement> roster,
                         Map<String, SitePrivacy> ledgers) {
    }

    private Round keysShared(int threshold) throws Exception {
        TestPki consortium = new TestPki(dir.resolve("pki"));
        SecAggParameters params = SecAggParameters.choose("fed-test", 2, 3, threshold, LENGTH, 100, 1.0);
        SecAggServer server = new SecAggServer(params);
        Map<String, SecAggSession> sessions = new TreeMap<>();
        Map<String, SitePrivacy> ledgers = new TreeMap<>();
        for (String site : SITES) {
            TestPki.Site keys = consortium.site(site);
            SecAggSession s = SecAggSession.start(site, params, keys.rosterAuthentication());
            sessions.put(site, s);
            Files.createDirectories(dir.resolve(site));
            ledgers.put(site, new SitePrivacy(new SitePolicy.Dp(null, null, null, null, null), dir.resolve(site)));
            server.receive(SecAggWire.fromProto(site, keys.certificate().getEncoded(), s.advertise()));
        }
        List<KeyAdvertisement> roster = server.closeAdvertising();
        sessions.forEach((site, s) -> server.receive(SecAggWire.fromProto(site, s.share(roster))));
        Map<String, List<EncryptedShare>> routed = server.closeSharing();
        routed.forEach((site, shares) -> sessions.get(site).receive(shares));
        return new Round(server, sessions, roster, ledgers);
    }

    private static long[] units(int seed) {
        Random r = new Random(seed);
        long[] u = new long[LENGTH];
        for (int i = 0; i < LENGTH; i++) {
            u[i] = r.nextLong() >> 20; // noise shares and clipped sums are far below 2^44 per coordinate
        }
        return u;
    }

    private static Outbound masked(Round round, String site, long[] units) {
        Outbound released = new CompressionFilter().apply(new DpFilter(round.ledgers().get(site)).apply(share(2)));
        assertThat(released.privacy()).as("nothing charged before the mask step").isEmpty();
        return new MaskFilter(round.sessions().get(site), round.ledgers().get(site), 0, units).apply(released);
    }

    private static long[] longs(byte[] bytes) {
        long[] v = new long[bytes.length / 8];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer().get(v);
        return v;
    }

    @Test
    void theUnmaskedSumIsTheSharesSumAndEachSiteChargesQAndZPrime() throws Exception {
        Round round = keysShared(2);
        long[] expected = new long[LENGTH];
        for (int k = 0; k < SITES.size(); k++) {
            String site = SITES.get(k);
            long[] u = units(k);
            Outbound m = masked(round, site, u);
            assertThat(m.privacy()).isPresent();
            assertThat(m.privacy().get().samplingRate()).isEqualTo(0.25);
            assertThat(m.privacy().get().noiseMultiplier())
                    .isEqualTo(DP.centralNoiseMultiplier(DP.grid(LENGTH), LENGTH)).isGreaterThanOrEqualTo(1.2);
            assertThat(m.header().hasPrivacy()).isTrue();
            round.server().receive(new MaskedInput(site, 40, longs(m.bytes())));
            for (int i = 0; i < LENGTH; i++) {
                expected[i] += u[i];
            }
        }
        UnmaskRequest request = round.server().closeMasking();
        ConsistencyRounds.signAndUnmask(round.server(), round.sessions(), request, round.roster());
        assertThat(round.server().finish().sum()).isEqualTo(expected);
    }

    @Test
    void aSiteRefusesToUnmaskASumOfFewerThanKMinShares() throws Exception {
        Round round = keysShared(2); // t = 2 would let two survivors finish: K_min = 3 must stop it at the sites
        for (int k = 0; k < 2; k++) {
            String site = SITES.get(k);
            round.server().receive(new MaskedInput(site, 40, longs(masked(round, site, units(k)).bytes())));
        }
        UnmaskRequest request = round.server().closeMasking();
        assertThat(request.survivors()).hasSize(2);
        Map<String, byte[]> certificates = new TreeMap<>();
        round.roster().forEach(k -> certificates.put(k.site(), k.certificate()));
        for (String site : List.of("site-a", "site-b")) {
            SecAggSession s = round.sessions().get(site);
            round.server().receive(SecAggWire.fromProto(site, certificates.get(site), s.signSurvivors(request)));
        }
        for (String site : List.of("site-a", "site-b")) {
            assertThatThrownBy(() -> round.sessions().get(site).unmask(request,
                    round.server().survivorSignaturesFor(site))).isInstanceOf(SecAggException.class)
                    .hasMessageContaining("K_min = 3").hasMessageContaining("2 survivors");
        }
    }

    @Test
    void aShareIsNeverSentUnmasked() {
        Outbound plain = new CompressionFilter().apply(share(2));
        assertThatThrownBy(plain::header).isInstanceOf(PolicyViolation.class)
                .hasMessageContaining("DP-FedSGD").hasMessageContaining("secure_aggregation: true");
    }
}
