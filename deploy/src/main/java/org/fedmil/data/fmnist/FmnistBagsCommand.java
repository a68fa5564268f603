package org.fedmil.data.fmnist;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

import org.fedmil.data.OutputFolder;
import org.fedmil.data.SourceDataException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code fmnist-bags}: writes the FMNIST-bags benchmark as tile site folders. */
@Command(name = "fmnist-bags", mixinStandardHelpOptions = true, version = FmnistBags.GENERATOR,
        description = {"Generates MNIST-bags (Ilse et al. 2018) on Fashion-MNIST: bags of 28x28 grey tiles, "
                + "positive iff a bag holds an image of the target class. Writes non-IID site folders "
                + "DIR/site-1..K (Dirichlet split), DIR/heldout (from the test images, with instance_labels.csv) "
                + "and DIR/manifest.json. Load the sites with tile format channels 1, size 28.",
                "The same options and seed always produce byte-identical files."})
public final class FmnistBagsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--source", paramLabel = "DIR", defaultValue = "/usr/share/datasets/fashion-mnist",
            description = "Folder with the Fashion-MNIST *-idx*-ubyte.gz files (default: ${DEFAULT-VALUE}, from "
                    + "the Debian package " + FmnistBags.APT_PACKAGE + ").")
    Path source;

    @Option(names = "--sites", paramLabel = "K", defaultValue = "4", description = "Training sites (default: ${DEFAULT-VALUE}).")
    int sites;

    @Option(names = "--train-bags", paramLabel = "N", defaultValue = "500",
            description = "Bags over all training sites (default: ${DEFAULT-VALUE}).")
    int trainBags;

    @Option(names = "--heldout-bags", paramLabel = "N", defaultValue = "200",
            description = "Bags in the held-out set (default: ${DEFAULT-VALUE}).")
    int heldoutBags;

    @Option(names = "--target-class", paramLabel = "C", defaultValue = "9",
            description = "Fashion-MNIST class 0-9 that makes a bag positive (default: ${DEFAULT-VALUE}, ankle boot).")
    int targetClass;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "0.5",
            description = "Dirichlet concentration of the split over sites; smaller = more different sites "
                    + "(default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "42", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--force", description = "Write into DIR even if it is not empty (each site's tiles/ folder is "
            + "replaced, other files of the same name are overwritten).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!OutputFolder.usable(out, force, "fmnist-bags", err)) {
            return 2;
        }
        FmnistBags.Config cfg;
        try {
            cfg = FmnistBags.Config.defaults().withSource(source).withSites(sites).withBags(trainBags, heldoutBags)
                    .withTargetClass(targetClass).withAlpha(alpha).withSeed(seed);
        } catch (IllegalArgumentException e) {
            err.println("fmnist-bags: " + e.getMessage());
            err.flush();
            return 2;
        }
        FmnistBags data;
        try {
            data = FmnistBags.generate(cfg);
        } catch (SourceDataException e) {
            err.println("fmnist-bags: " + e.getMessage());
            err.flush();
            return 2;
        }
        data.writeTo(out);
        PrintWriter o = spec.commandLine().getOut();
        o.println("wrote " + (sites + 1) + " tile site folders to " + out.toAbsolutePath() + " (tile format: "
                + "channels 1, size " + FmnistBags.IMAGE_SIZE + "; target class " + targetClass + " = "
                + FmnistBags.CLASS_NAMES.get(targetClass) + ")");
        o.print(data.statsTable());
        o.flush();
        return 0;
    }
}
