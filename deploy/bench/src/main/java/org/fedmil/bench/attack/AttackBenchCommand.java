package org.fedmil.bench.attack;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.data.synth.SyntheticMilData;
import org.fedmil.pki.ConsortiumCa;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code fedmil bench attacks}: hostile sites with valid certificates against a real federation (coordinator,
 * honest site agents, mutual TLS on loopback) on the synthetic data set, under each strategy asked for; the
 * held-out AUC after every round goes into a Markdown table for docs/results.md.
 */
@Command(name = "attacks", mixinStandardHelpOptions = true,
        description = "Hostile sites (weight inflation, sign flip, scaled updates, a colluding pair) against a real "
                + "federation under each strategy; held-out AUC per round as a Markdown table.")
public final class AttackBenchCommand implements Callable<Integer> {

    @Option(names = "--work", defaultValue = "target/bench-attacks", description = "work folder (default: ${DEFAULT-VALUE})")
    Path work;

    @Option(names = "--rounds", defaultValue = "4", description = "rounds per federation (default: ${DEFAULT-VALUE})")
    int rounds;

    @Option(names = "--honest-sites", defaultValue = "3", description = "honest sites (default: ${DEFAULT-VALUE})")
    int honestSites;

    @Option(names = "--bags", defaultValue = "100", description = "bags per site (default: ${DEFAULT-VALUE})")
    int bags;

    @Option(names = "--heldout", defaultValue = "200", description = "held-out bags (default: ${DEFAULT-VALUE})")
    int heldout;

    @Option(names = "--seed", defaultValue = "7", description = "data seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--attacks", split = ",", defaultValue = "none,inflate,declare_inflate,sign_flip_x10,scale_x100,"
            + "collude", description = "attacks to run (default: ${DEFAULT-VALUE})")
    List<String> attacks;

    @Option(names = "--strategies", split = ",", defaultValue = "fedavg,fedavg:max_site_share=1:max_norm_to_median=0,"
            + "median,trimmed_mean", description = "strategies in the strategy.name:key=value form (default: "
            + "${DEFAULT-VALUE}); max_site_share=1:max_norm_to_median=0 turns the share cap and relative norm off")
    List<String> strategies;

    @Option(names = "--out", description = "also write the Markdown table to this file")
    Path out;

    @Override
    public Integer call() throws Exception {
        Path dir = work.toAbsolutePath();
        Files.createDirectories(dir);
        attacks.forEach(Hostile::parse);
        // as many site folders whatever the attacks asked for: the generator's draws depend on the site count, so
        // every run of this command trains and evaluates on the same bags
        int maxHostile = java.util.Arrays.stream(Hostile.values()).mapToInt(h -> h.sites).max().orElse(0);
        Path data = dir.resolve("data");
        SyntheticMilData.generate(SyntheticMilData.Config.defaults().withSites(honestSites + maxHostile)
                .withBags(bags, heldout).withSeed(seed)).writeTo(data);
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki-" + System.nanoTime()), "attacks",
                ConsortiumCa.DEFAULT_CA_VALIDITY);
        // the demo's recipe (fedmil demo): attention over an MLP encoder, 2 local epochs of Adam at 0.002
        AttackFederation federation = new AttackFederation(dir, data, ca, honestSites, rounds,
                new CoordinatorConfig.Model("attention", "mlp", 64, 32, null, null),
                new CoordinatorConfig.Training(2, 0.002, 0.0, seed, null, null, null));
        List<AttackFederation.Outcome> outcomes = new ArrayList<>();
        for (String a : attacks) {
            Hostile attack = Hostile.parse(a);
            for (String s : strategies) {
                AttackFederation.Outcome o = federation.run(s, attack);
                outcomes.add(o);
                System.out.println(AttackReport.line(o));
            }
        }
        String table = AttackReport.table(outcomes, honestSites, bags, heldout, seed, rounds);
        System.out.println(table);
        if (out != null) {
            Files.writeString(out, table);
        }
        return 0;
    }
}
