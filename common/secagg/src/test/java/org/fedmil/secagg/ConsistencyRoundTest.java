package org.fedmil.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The consistency round (Bonawitz et al. 2017, round 3): survivors sign the survivor set, and a site reveals only
 * after seeing a quorum of valid signatures over the same set. Real certificates, keys and shares; K ≤ 7.
 */
class ConsistencyRoundTest {

    private static final int LENGTH = 64;

    @TempDir
    static java.nio.file.Path pki;
    private static TestConsortium consortium;

    @BeforeAll
    static void consortium() {
        consortium = new TestConsortium(pki.resolve("consortium"), "consistency");
    }

    private record Round(SecAggParameters params, SecAggServer server, Map<String, SecAggClient> clients,
                         Map<String, float[]> deltas) {
    }

    /** K sites up to the masked inputs, all of which arrive. */
    private static Round maskedRound(int sites, int threshold) {
        SecAggParameters params = SecAggParameters.choose("fed-consistency", 4, sites, threshold, LENGTH, 100, 1.0);
        SecAggServer server = new SecAggServer(params);
        Map<String, SecAggClient> clients = new TreeMap<>();
        Map<String, float[]> deltas = new TreeMap<>();
        Random r = new Random(sites);
        for (int k = 0; k < sites; k++) {
            String id = "site-" + (char) ('a' + k);
            clients.put(id, new SecAggClient(id, params, consortium.site(id), new SecureRandom()));
            float[] d = new float[LENGTH];
            for (int i = 0; i < LENGTH; i++) {
                d[i] = (float) r.nextGaussian() * 0.1f;
            }
            deltas.put(id, d);
        }
        clients.values().forEach(c -> server.receive(c.advertise()));
        List<KeyAdvertisement> roster = server.closeAdvertising();
        clients.values().forEach(c -> server.receive(c.shareKeys(roster)));
        server.closeSharing().forEach((site, box) -> clients.get(site).receiveShares(box));
        clients.values().forEach(c -> server.receive(c.maskInput(deltas.get(c.site()), 10)));
        return new Round(params, server, clients, deltas);
    }

    @Test
    void everySurvivorSigningTheSameSetLetsTheRoundFinishWithTheSignaturesKept() {
        Round round = maskedRound(5, 3);
        UnmaskRequest request = round.server().closeMasking();
        for (SecAggClient c : round.clients().values()) {
            round.server().receive(c.signSurvivors(request));
        }
        List<SurvivorSetSignature> signatures = round.server().survivorSignatures();
        assertThat(signatures).extracting(SurvivorSetSignature::site).containsExactlyElementsOf(round.clients().keySet());
        for (SecAggClient c : round.clients().values()) {
            round.server().receive(c.unmask(request, signatures));
        }
        float[] mean = round.server().finish().mean();
        double expected = 0;
        for (float[] d : round.deltas().values()) {
            expected += d[0] / 5.0;
        }
        assertThat((double) mean[0]).isCloseTo(expected, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void aCoordinatorTellingTwoSitesDifferentSurvivorSetsIsCaughtAndTheHonestSiteRefusesToReveal() {
        Round round = maskedRound(7, 4);
        // the lie: site-a..site-d hear that site-g dropped, site-e..site-g hear that everyone survived
        UnmaskRequest withoutG = new UnmaskRequest(List.of("site-a", "site-b", "site-c", "site-d", "site-e",
                "site-f"), List.of("site-g"));
        UnmaskRequest everyone = new UnmaskRequest(List.copyOf(round.clients().keySet()), List.of());
        List<SurvivorSetSignature> overWithoutG = new ArrayList<>();
        List<SurvivorSetSignature> overEveryone = new ArrayList<>();
        for (SecAggClient c : round.clients().values()) {
            boolean first = c.site().compareTo("site-e") < 0;
            (first ? overWithoutG : overEveryone).add(c.signSurvivors(first ? withoutG : everyone));
        }
        // it forwards every signature it has to site-e, claiming they are all over the set site-e was told
        List<SurvivorSetSignature> all = new ArrayList<>(overWithoutG);
        all.addAll(overEveryone);
        SecAggClient honest = round.clients().get("site-e");
        assertThatThrownBy(() -> honest.unmask(everyone, all)).isInstanceOf(SecAggException.class)
                .hasMessageContaining("consistency check of round 4")
                .hasMessageContaining("only 3 valid signatures from distinct consortium sites over the survivor set")
                .hasMessageContaining("fewer than the 4 needed")
                .hasMessageContaining("site-a=")
                .hasMessageContaining("different survivor sets")
                .hasMessageContaining("reveals no unmasking share");
        // it has withdrawn: no second try with other signatures
        assertThatThrownBy(() -> honest.unmask(everyone, overEveryone)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("WITHDRAWN");
        // the coordinator itself refuses to forward a signature over another set than the one it closed with
        UnmaskRequest closed = round.server().closeMasking();
        assertThat(closed.survivors()).hasSize(7);
        assertThatThrownBy(() -> round.server().receive(overWithoutG.get(0))).isInstanceOf(SecAggException.class)
                .hasMessageContaining("site-a's signature over the survivor set of round 4 is refused");
    }

    @Test
    void aSiteRefusesARequestNamingAnotherSetThanTheOneItSigned() {
        Round round = maskedRound(5, 3);
        UnmaskRequest request = round.server().closeMasking();
        List<SurvivorSetSignature> signatures = new ArrayList<>();
        for (SecAggClient c : round.clients().values()) {
            signatures.add(c.signSurvivors(request));
        }
        UnmaskRequest changed = new UnmaskRequest(List.of("site-a", "site-b", "site-c", "site-d"), List.of("site-e"));
        assertThatThrownBy(() -> round.clients().get("site-a").unmask(changed, signatures))
                .isInstanceOf(SecAggException.class)
                .hasMessageContaining("changed the survivor set after the consistency round");
        assertThatThrownBy(() -> round.clients().get("site-b").signSurvivors(changed))
                .isInstanceOf(SecAggException.class).hasMessageContaining("signs one set per round");
    }

    @Test
    void aSignatureFromOutsideTheConsortiumDoesNotCount() {
        Round round = maskedRound(5, 3);
        UnmaskRequest request = round.server().closeMasking();
        List<SurvivorSetSignature> signatures = new ArrayList<>();
        signatures.add(round.clients().get("site-a").signSurvivors(request));
        signatures.add(round.clients().get("site-b").signSurvivors(request));
        // a site of another consortium, named like site-c, signs the same set
        TestConsortium other = new TestConsortium(pki.resolve("other"), "other");
        SurvivorSetSignature forged = other.site("site-c").signSurvivors(round.params(), "site-c",
                request.survivors());
        signatures.add(forged);
        assertThatThrownBy(() -> round.clients().get("site-a").unmask(request, signatures))
                .isInstanceOf(SecAggException.class).hasMessageContaining("only 2 valid signatures")
                .hasMessageContaining("site-c=its certificate");
    }
}
