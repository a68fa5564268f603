package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.RoundResult;
import org.fedmil.data.crc.CrcNuclei;
import org.fedmil.data.fmnist.FmnistBags;
import org.fedmil.site.config.SiteConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Short federations on real images, end to end: tile bags on disk, a CNN attention-MIL model, real site agents
 * over mutual TLS. Each asserts that the federated model beats chance (AUC 0.5) on the held-out bags by a stated
 * margin after a few rounds. The full comparisons are the benchmarks of docs/results.md.
 */
class RealImageFederationIT {

    /** Held-out AUC the federated attention model must reach: chance plus 0.25. */
    static final double MIN_AUC = 0.75;

    @TempDir
    Path dir;

    /** The crc split links to the patches; delete the links before JUnit walks the folder (never the targets). */
    @AfterEach
    void removeLinks() throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.filter(Files::isSymbolicLink).toList()) {
                Files.delete(p);
            }
        }
    }

    @Test
    void fmnistBagsFederatedAttentionBeatsChance() throws Exception {
        boolean present = Files.isDirectory(FmnistBags.DEFAULT_SOURCE);
        if (!present) {
            System.out.println("RealImageFederationIT: FMNIST-bags skipped, " + FmnistBags.DEFAULT_SOURCE
                    + " is absent (apt-get install " + FmnistBags.APT_PACKAGE + ")");
        }
        Assumptions.assumeTrue(present, FmnistBags.DEFAULT_SOURCE + " is absent");
        Path data = dir.resolve("data");
        FmnistBags.generate(FmnistBags.Config.defaults().withSites(3).withBags(150, 100).withSeed(3)).writeTo(data);

        List<RoundResult> history = federate("FMNIST-bags", data, 3, 3, "attention", 1, 28, 1e-3, false);

        assertThat(history.get(3).heldout().auc()).as("federated attention held-out AUC on FMNIST-bags")
                .isGreaterThan(MIN_AUC);
    }

    @Test
    void crcNucleiFederatedAttentionBeatsChance() throws Exception {
        Path dataset = crcNuclei();
        Path data = dir.resolve("data");
        CrcNuclei.read(dataset).writeSplit(data, 4, 0.5, 0.25, 1);

        List<RoundResult> history = federate("crc-nuclei", data, 4, 3, "attention", 3, 27, 1e-4, true);

        assertThat(history.get(3).heldout().auc()).as("federated attention held-out AUC on crc-nuclei")
                .isGreaterThan(MIN_AUC);
    }

    private List<RoundResult> federate(String label, Path data, int sites, int rounds, String architecture, int channels,
                                       int tileSize, double learningRate, boolean augment) throws Exception {
        CoordinatorConfig.Model model = new CoordinatorConfig.Model(architecture, "cnn", 64, 32, tileSize, channels);
        CoordinatorConfig.Training training = new CoordinatorConfig.Training(1, learningRate, 1e-4, 42L, null, null,
                null);
        try (TestFederation fed = new TestFederation(dir, data, sites, rounds, model, training)) {
            List<String> names = java.util.stream.IntStream.rangeClosed(1, sites).mapToObj(i -> "site-" + i).toList();
            fed.runSites(names, new SiteConfig.Augmentation(augment, augment));
            List<RoundResult> history = fed.coordinator.run().history();
            assertThat(history).extracting(RoundResult::round)
                    .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(0, rounds).boxed().toList());
            System.out.printf(Locale.ROOT, "%s (%s, %d sites) held-out AUC per round: %s%n", label, architecture, sites,
                    history.stream().map(r -> String.format(Locale.ROOT, "%.3f", r.heldout().auc())).toList());
            return history;
        }
    }

    /** ../shared/datasets/crc-nuclei beside the repository, or a skip with the reason printed. */
    private static Path crcNuclei() {
        java.util.Optional<Path> dataset = CrcNuclei.besideRepository(Path.of(""));
        if (dataset.isEmpty()) {
            System.out.println("RealImageFederationIT: crc-nuclei skipped, the data set is not at "
                    + "../shared/datasets/crc-nuclei beside the repository");
        }
        Assumptions.assumeTrue(dataset.isPresent(), "the crc-nuclei data set is not beside the repository");
        return dataset.get();
    }
}
