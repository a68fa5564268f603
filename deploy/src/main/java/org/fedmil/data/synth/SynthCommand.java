package org.fedmil.data.synth;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.stream.Stream;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code synth}: writes the seeded synthetic MIL data set as site folders plus a held-out folder. */
@Command(name = "synth", mixinStandardHelpOptions = true, version = SyntheticMilData.GENERATOR,
        description = {"Generates a seeded synthetic multiple-instance learning data set: non-IID site folders "
                + "DIR/site-1..K, the coordinator's held-out set DIR/heldout, and DIR/manifest.json.",
                "The same options and seed always produce byte-identical files."})
public final class SynthCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--sites", paramLabel = "K", defaultValue = "3", description = "Training sites (default: ${DEFAULT-VALUE}).")
    int sites;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--dim", paramLabel = "D", defaultValue = "32", description = "Features per instance (default: ${DEFAULT-VALUE}).")
    int dim;

    @Option(names = "--bags-per-site", paramLabel = "N", defaultValue = "160",
            description = "Bags per training site (default: ${DEFAULT-VALUE}).")
    int bagsPerSite;

    @Option(names = "--heldout-bags", paramLabel = "N", defaultValue = "200",
            description = "Bags in the held-out set (default: ${DEFAULT-VALUE}).")
    int heldoutBags;

    @Option(names = "--force", description = "Write into DIR even if it is not empty (files of the same name are "
            + "replaced, others are left alone).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!force && Files.isDirectory(out)) {
            try (Stream<Path> entries = Files.list(out)) {
                if (entries.findAny().isPresent()) {
                    err.println("synth: " + out + " is not empty; choose a new folder or pass --force to overwrite");
                    return 2;
                }
            }
        }
        SyntheticMilData.Config cfg;
        try {
            cfg = SyntheticMilData.Config.defaults().withSites(sites).withSeed(seed).withDim(dim)
                    .withBags(bagsPerSite, heldoutBags);
        } catch (IllegalArgumentException e) {
            err.println("synth: " + e.getMessage());
            return 2;
        }
        SyntheticMilData data = SyntheticMilData.generate(cfg);
        data.writeTo(out);
        PrintWriter o = spec.commandLine().getOut();
        o.println("wrote " + (sites + 1) + " datasets to " + out.toAbsolutePath());
        o.print(data.statsTable());
        o.flush();
        return 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new SynthCommand()).execute(args));
    }
}
