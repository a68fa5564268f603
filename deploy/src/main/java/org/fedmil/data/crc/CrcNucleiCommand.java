package org.fedmil.data.crc;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import org.fedmil.data.OutputFolder;
import org.fedmil.data.SourceDataException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code crc-nuclei}: splits the crc-nuclei histology data set into tile site folders. */
@Command(name = "crc-nuclei", mixinStandardHelpOptions = true, version = CrcNuclei.GENERATOR,
        description = {"Splits the crc-nuclei colon histology data set (27x27 RGB nucleus patches, one bag per "
                + "patient, positive iff any patch is cancerous) into a simulated federation: DIR/site-1..K "
                + "(non-IID, Dirichlet split), DIR/heldout (stratified by label, with instance_labels.csv) and "
                + "DIR/manifest.json. Tiles are symbolic links to the data set's patch files; keep DIR out of the "
                + "repository. Load the sites with tile format channels 3, size 27.",
                "The same options and seed always give the same split."})
public final class CrcNucleiCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--dataset", required = true, paramLabel = "PATH",
            description = "The crc-nuclei folder (holding " + CrcNuclei.MAIN_CSV + ", " + CrcNuclei.EXTRA_CSV
                    + " and " + CrcNuclei.PATCH_DIR + "/).")
    Path dataset;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--sites", paramLabel = "K", defaultValue = "4", description = "Training sites (default: ${DEFAULT-VALUE}).")
    int sites;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "0.5",
            description = "Dirichlet concentration of the split over sites; smaller = more different sites "
                    + "(default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--heldout", paramLabel = "F", defaultValue = "0.25",
            description = "Fraction of each label's bags held out, at least " + CrcNuclei.MIN_HELDOUT_PER_CLASS
                    + " per label (default: ${DEFAULT-VALUE}).")
    double heldout;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--force", description = "Write into DIR even if it is not empty (each site's tiles/ folder is "
            + "replaced, other files of the same name are overwritten).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        if (!OutputFolder.usable(out, force, "crc-nuclei", err)) {
            return 2;
        }
        CrcNuclei data;
        CrcNuclei.Split split;
        try {
            data = CrcNuclei.read(dataset);
            split = data.writeSplit(out, sites, alpha, heldout, seed);
        } catch (SourceDataException | IllegalArgumentException e) {
            err.println("crc-nuclei: " + e.getMessage());
            err.flush();
            return 2;
        }
        Map<String, CrcNuclei.Patient> byId = new java.util.HashMap<>();
        data.patients().forEach(p -> byId.put(p.bagId(), p));
        PrintWriter o = spec.commandLine().getOut();
        o.println("wrote " + (sites + 1) + " tile site folders to " + out.toAbsolutePath() + " (tile format: "
                + "channels " + CrcNuclei.CHANNELS + ", size " + CrcNuclei.PATCH_SIZE + ")");
        o.printf("%-8s %5s %9s %10s%n", "dataset", "bags", "positive", "instances");
        for (int k = 0; k < sites; k++) {
            row(o, "site-" + (k + 1), split.sites().get(k), byId);
        }
        row(o, CrcNuclei.HELDOUT, split.heldout(), byId);
        o.flush();
        return 0;
    }

    private static void row(PrintWriter o, String name, List<String> ids, Map<String, CrcNuclei.Patient> byId) {
        int positives = 0;
        int instances = 0;
        for (String id : ids) {
            positives += byId.get(id).label();
            instances += byId.get(id).size();
        }
        o.printf("%-8s %5d %9d %10d%n", name, ids.size(), positives, instances);
    }
}
