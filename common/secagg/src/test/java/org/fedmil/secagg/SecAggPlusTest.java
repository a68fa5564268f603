package org.fedmil.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** SecAgg+ (sparse k-regular communication graph) end to end with real keys, shares and masks, K ≤ 10. */
class SecAggPlusTest {

    private static final int LENGTH = 500;

    @TempDir
    static java.nio.file.Path pki;
    private static TestConsortium consortium;

    @BeforeAll
    static void consortium() {
        consortium = new TestConsortium(pki.resolve("consortium"), "plus");
    }

    /** One in-memory SecAgg+ round; sites in {@code dropBeforeInput} share keys but send no masked input. */
    private static final class Run {
        final SecAggParameters params;
        final SecAggServer server;
        final Map<String, SecAggClient> clients = new TreeMap<>();
        final Map<String, float[]> deltas = new TreeMap<>();
        final Map<String, Long> bags = new TreeMap<>();
        final Map<String, Integer> sharesSent = new TreeMap<>();

        Run(int sites, int threshold, int degree, int round) {
            params = SecAggParameters.choose("fed-plus", round, sites, threshold, LENGTH, 500, 1.0)
                    .withGraphDegree(degree);
            server = new SecAggServer(params);
            Random r = new Random(sites * 31L + degree);
            SecureRandom sr = new SecureRandom();
            for (int k = 0; k < sites; k++) {
                String id = "site-" + (char) ('a' + k);
                clients.put(id, new SecAggClient(id, params, consortium.site(id), sr));
                float[] d = new float[LENGTH];
                for (int i = 0; i < LENGTH; i++) {
                    d[i] = (float) (0.05 * r.nextGaussian());
                }
                deltas.put(id, d);
                bags.put(id, 1L + r.nextInt(500));
            }
        }

        List<KeyAdvertisement> advertiseAndShare() {
            for (SecAggClient c : clients.values()) {
                server.receive(c.advertise());
            }
            List<KeyAdvertisement> roster = server.closeAdvertising();
            for (SecAggClient c : clients.values()) {
                ShareBundle b = c.shareKeys(roster);
                sharesSent.put(c.site(), b.shares().size());
                server.receive(b);
            }
            server.closeSharing().forEach((site, box) -> clients.get(site).receiveShares(box));
            return roster;
        }

        UnmaskRequest mask(Set<String> dropBeforeInput) {
            for (SecAggClient c : clients.values()) {
                if (!dropBeforeInput.contains(c.site())) {
                    server.receive(c.maskInput(deltas.get(c.site()), bags.get(c.site())));
                }
            }
            return server.closeMasking();
        }

        SecAggResult run(Set<String> dropBeforeInput) {
            advertiseAndShare();
            UnmaskRequest request = mask(dropBeforeInput);
            for (String s : request.survivors()) {
                server.receive(clients.get(s).unmask(request));
            }
            return server.finish();
        }

        double maxAbsDiffFromPlainFedAvg(SecAggResult result) {
            double[] sum = new double[LENGTH];
            long n = 0;
            for (String s : result.survivors()) {
                for (int i = 0; i < LENGTH; i++) {
                    sum[i] += bags.get(s) * (double) deltas.get(s)[i];
                }
                n += bags.get(s);
            }
            float[] mean = result.mean();
            double worst = 0;
            for (int i = 0; i < LENGTH; i++) {
                double expected = sum[i] / n;
                double allowed = params.meanErrorBound() + Math.ulp((float) expected);
                assertThat(Math.abs(mean[i] - expected)).as("coordinate %d", i).isLessThanOrEqualTo(allowed);
                worst = Math.max(worst, Math.abs(mean[i] - expected));
            }
            return worst;
        }
    }

    @ParameterizedTest(name = "K={0}, k={1}, t={2}")
    @CsvSource({"6, 2, 2", "8, 4, 3", "10, 4, 3", "10, 6, 4"})
    void theSecAggPlusSumEqualsPlainFedAvgWithinFloat32ErrorWithoutDropouts(int sites, int degree, int t) {
        Run run = new Run(sites, t, degree, 7);
        SecAggResult result = run.run(Set.of());
        assertThat(result.survivors()).hasSize(sites);
        assertThat(run.maxAbsDiffFromPlainFedAvg(result)).isGreaterThan(0.0).isLessThan(1e-6);
        // each site sent shares to its k neighbours and itself, not to all K
        assertThat(run.sharesSent.values()).containsOnly(degree + 1);
    }

    @ParameterizedTest(name = "K={0}, k={1}, t={2}, dropped {3}")
    @CsvSource({"6, 2, 2, site-c", "8, 4, 3, site-a site-e", "10, 4, 3, site-b site-g", "10, 6, 4, site-a site-d site-h"})
    void theSecAggPlusSumEqualsPlainFedAvgOfTheSurvivorsWhenSitesDropAfterSharingKeys(int sites, int degree, int t,
                                                                                     String dropped) {
        Run run = new Run(sites, t, degree, 7);
        Set<String> drop = Set.of(dropped.split(" "));
        SecAggResult result;
        try {
            result = run.run(drop);
        } catch (SecAggException e) {
            // the draw may leave a site without t surviving neighbours: then the abort must say so
            assertThat(e.getMessage()).contains("fewer than the threshold t=" + t).contains("neighbourhood");
            return;
        }
        assertThat(result.dropped()).containsExactlyInAnyOrderElementsOf(drop);
        assertThat(run.maxAbsDiffFromPlainFedAvg(result)).isGreaterThan(0.0).isLessThan(1e-6);
    }

    @Test
    void aDroppedSiteIsUnmaskedFromItsNeighboursSharesAlone() {
        // rounds whose graph lets one dropout finish: at least one of them must exist among a few rounds
        int finished = 0;
        for (int round = 1; round <= 4; round++) {
            Run run = new Run(10, 3, 4, round);
            run.advertiseAndShare();
            String victim = "site-e";
            UnmaskRequest request = run.mask(Set.of(victim));
            SortedSet<String> hood = run.server.graph().neighbourhood(victim);
            for (String s : request.survivors()) {
                UnmaskResponse u = run.clients.get(s).unmask(request);
                // only the victim's neighbours hold (and reveal) shares of its masking key
                assertThat(u.maskingKeyShares().containsKey(victim)).isEqualTo(hood.contains(s));
                run.server.receive(u);
            }
            SecAggResult result = run.server.finish();
            assertThat(run.maxAbsDiffFromPlainFedAvg(result)).isLessThan(1e-6);
            finished++;
        }
        assertThat(finished).isEqualTo(4);
    }

    @Test
    void aDroppedSiteWhoseNeighboursAllDropAbortsWithAClearErrorAndNothingIsRevealed() {
        Run run = new Run(10, 2, 2, 5);
        run.advertiseAndShare();
        CommunicationGraph graph = run.server.graph();
        String victim = "site-c";
        Set<String> drop = new TreeSet<>(graph.neighbourhood(victim)); // the victim and both its neighbours
        assertThat(drop).hasSize(3);
        for (SecAggClient c : run.clients.values()) {
            if (!drop.contains(c.site())) {
                run.server.receive(c.maskInput(run.deltas.get(c.site()), run.bags.get(c.site())));
            }
        }
        assertThatThrownBy(run.server::closeMasking).isInstanceOf(SecAggException.class)
                .hasMessageContaining("dropped site " + victim + " has only 0 surviving sites")
                .hasMessageContaining("fewer than the threshold t=2")
                .hasMessageContaining("nothing is revealed or aggregated");
        assertThatThrownBy(run.server::finish).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("ABORTED");
    }

    @Test
    void aSiteRefusesToUnmaskWhenTooFewOfItsNeighboursSurvived() {
        Run run = new Run(10, 3, 4, 6);
        run.advertiseAndShare();
        CommunicationGraph graph = run.server.graph();
        String site = "site-a";
        List<String> others = new ArrayList<>(graph.neighbourhood(site));
        others.remove(site);
        // a coordinator that claims all but one of site-a's neighbours dropped
        List<String> survivors = new ArrayList<>();
        List<String> dropped = new ArrayList<>();
        for (String s : run.clients.keySet()) {
            (others.indexOf(s) >= 1 ? dropped : survivors).add(s);
        }
        run.clients.get(site).maskInput(run.deltas.get(site), run.bags.get(site));
        assertThatThrownBy(() -> run.clients.get(site).unmask(new UnmaskRequest(survivors, dropped)))
                .isInstanceOf(SecAggException.class)
                .hasMessageContaining("2 survivors in site-a's neighbourhood, fewer than the threshold t=3");
    }

    @Test
    void underSecAggPlusEverySiteChecksOnlyItsNeighboursSurvivorSignaturesAndTheRoundFinishes() {
        Run run = new Run(10, 3, 4, 12);
        run.advertiseAndShare();
        UnmaskRequest request = run.mask(Set.of());
        for (SecAggClient c : run.clients.values()) {
            run.server.receive(c.signSurvivors(request));
        }
        for (String s : request.survivors()) {
            List<SurvivorSetSignature> relayed = run.server.survivorSignaturesFor(s);
            assertThat(relayed).as("the signatures relayed to %s", s).extracting(SurvivorSetSignature::site)
                    .containsExactlyElementsOf(run.server.graph().neighbourhood(s));
            run.server.receive(run.clients.get(s).unmask(request, relayed));
        }
        assertThat(run.maxAbsDiffFromPlainFedAvg(run.server.finish())).isLessThan(1e-6);
    }

    @Test
    void underSecAggPlusSignaturesFromOutsideASitesNeighbourhoodDoNotMakeItsQuorum() {
        Run run = new Run(10, 3, 4, 11);
        run.advertiseAndShare();
        UnmaskRequest request = run.mask(Set.of());
        String site = "site-a";
        Set<String> hood = run.server.graph().neighbourhood(site);
        assertThat(hood).hasSize(5);
        for (SecAggClient c : run.clients.values()) {
            if (c.site().equals(site) || !hood.contains(c.site())) {
                run.server.receive(c.signSurvivors(request));
            }
        }
        assertThat(run.server.survivorSignaturesFor(site)).extracting(SurvivorSetSignature::site)
                .containsExactly(site);
        assertThat(run.server.consistencyQuorumMet(site)).isFalse();
        // all six signatures, five of them valid but from sites that hold none of site-a's shares
        List<SurvivorSetSignature> all = run.server.survivorSignatures();
        assertThat(all).hasSize(6);
        assertThatThrownBy(() -> run.clients.get(site).unmask(request, all)).isInstanceOf(SecAggException.class)
                .hasMessageContaining("only 1 valid signatures").hasMessageContaining("fewer than the 3 needed")
                .hasMessageContaining("a majority of the 5 sites of site-a's neighbourhood")
                .hasMessageContaining("not a neighbour");
    }

    @Test
    void anAuditorRecomputesTheSameGraphFromTheRosterAndEverySiteUsedIt() {
        Run run = new Run(10, 3, 4, 9);
        List<KeyAdvertisement> roster = run.advertiseAndShare();
        List<String> names = roster.stream().map(KeyAdvertisement::site).toList();
        CommunicationGraph audited = CommunicationGraph.of(run.params, reversed(names));
        CommunicationGraph used = run.server.graph();
        assertThat(audited.digest()).isEqualTo(used.digest());
        assertThat(audited.ring()).isEqualTo(used.ring());
        for (String s : names) {
            SortedSet<String> hood = audited.neighbourhood(s);
            assertThat(hood).hasSize(5).contains(s);
            for (String v : hood) {
                assertThat(audited.neighbourhood(v)).as("the graph is undirected").contains(s);
            }
        }
        // public data only, but every input counts: another round, degree or roster draws another graph
        assertThat(CommunicationGraph.of(new Run(10, 3, 4, 10).params, names).digest()).isNotEqualTo(used.digest());
        assertThat(CommunicationGraph.of(run.params.withGraphDegree(6), names).digest()).isNotEqualTo(used.digest());
        assertThat(CommunicationGraph.of(run.params, names.subList(0, 9)).digest()).isNotEqualTo(used.digest());
    }

    @Test
    void aShareFromASiteOutsideTheNeighbourhoodIsRefused() {
        Run run = new Run(8, 2, 2, 3);
        for (SecAggClient c : run.clients.values()) {
            run.server.receive(c.advertise());
        }
        List<KeyAdvertisement> roster = run.server.closeAdvertising();
        Map<String, ShareBundle> bundles = new TreeMap<>();
        for (SecAggClient c : run.clients.values()) {
            bundles.put(c.site(), c.shareKeys(roster));
        }
        CommunicationGraph graph = run.server.graph();
        String site = "site-a";
        String stranger = run.clients.keySet().stream().filter(s -> !graph.neighbourhood(site).contains(s))
                .findFirst().orElseThrow();
        List<EncryptedShare> box = new ArrayList<>();
        for (ShareBundle b : bundles.values()) {
            for (EncryptedShare s : b.shares()) {
                if (s.to().equals(site)) {
                    box.add(s);
                }
            }
        }
        box.add(new EncryptedShare(stranger, site, bundles.get(stranger).shares().get(0).ciphertext()));
        assertThatThrownBy(() -> run.clients.get(site).receiveShares(box)).isInstanceOf(SecAggException.class)
                .hasMessageContaining("who is not a neighbour of site-a");
    }

    @Test
    void theRuleGivesAGraphDegreeGrowingSubLinearlyAndMeetingItsBounds() {
        GraphDegreeRule rule = GraphDegreeRule.DEFAULT;
        // 5 sites: one colluder and one dropout could cut any sparse ring, so the graph stays complete
        assertThat(rule.choose(5).complete()).isTrue();
        GraphDegreeRule.Choice at25 = rule.choose(25);
        GraphDegreeRule.Choice at100 = rule.choose(100);
        GraphDegreeRule.Choice at1000 = rule.choose(1000);
        assertThat(at25.complete()).isFalse();
        assertThat(at25.degree()).isLessThan(24);
        assertThat(at100.degree()).as("k grows slower than K").isLessThan(at25.degree() * 4).isLessThan(99 / 2);
        assertThat(at1000.degree()).isLessThan(at100.degree() * 10 / 3);
        for (GraphDegreeRule.Choice c : List.of(at25, at100, at1000)) {
            assertThat(c.log2Privacy()).isLessThanOrEqualTo(-40);
            assertThat(c.log2Completion()).isLessThanOrEqualTo(-20);
            assertThat(c.threshold()).isBetween(c.degree() / 2 + 1, c.degree() + 1);
            assertThat(new SecAggParameters("f", 1, 1000, c.threshold(), 1, 1, 1.0, 16, c.degree()).graphDegree())
                    .isEqualTo(c.degree());
        }
    }

    @Test
    void badGraphDegreesAreRefusedSayingWhy() {
        assertThatThrownBy(() -> new SecAggParameters("f", 1, 10, 3, 1, 1, 1.0, 16, 3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("k=3 must be 0");
        assertThatThrownBy(() -> new SecAggParameters("f", 1, 10, 6, 1, 1, 1.0, 16, 4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("exceeds the 5 sites");
    }

    private static List<String> reversed(List<String> names) {
        List<String> out = new ArrayList<>(names);
        java.util.Collections.reverse(out);
        return out;
    }
}
