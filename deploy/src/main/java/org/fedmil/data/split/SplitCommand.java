package org.fedmil.data.split;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

import org.fedmil.data.OutputFolder;
import org.fedmil.data.SourceDataException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code data split}: k-fold and non-IID site splits of any data set folder, written as linked site folders. */
@Command(name = "split", mixinStandardHelpOptions = true, version = SplitWriter.GENERATOR,
        description = {"Splits a data set folder (bags.csv with tiles/ or bags/) into a simulated federation: "
                + "with --folds K, OUT/fold-1..K each holding heldout/ (that fold's test bags, stratified by label) "
                + "and site-1..N (the other bags, Dirichlet non-IID split); without, OUT/site-1..N and "
                + "OUT/heldout. Bags of one patient (bags.csv column 'patient') stay together. Bags are symbolic "
                + "links to the data set, never copies; OUT/manifest.json says what went where.",
                "The same options and seed always give the same split."})
public final class SplitCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Option(names = "--data", required = true, paramLabel = "DIR", description = "The data set folder.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "OUT", description = "Output folder.")
    Path out;

    @Option(names = "--folds", paramLabel = "K", defaultValue = "0",
            description = "k-fold cross-validation: K folds, each fold's test bags held out once (default: none, "
                    + "one split with --heldout).")
    int folds;

    @Option(names = "--sites", paramLabel = "N", defaultValue = "4", description = "Training sites (default: "
            + "${DEFAULT-VALUE}).")
    int sites;

    @Option(names = "--alpha", paramLabel = "A", defaultValue = "0.5", description = "Dirichlet concentration of "
            + "the split over sites; smaller = more different sites (default: ${DEFAULT-VALUE}).")
    double alpha;

    @Option(names = "--heldout", paramLabel = "F", defaultValue = "0.25", description = "Without --folds: fraction "
            + "of each label's bags (patients) held out, at least one (default: ${DEFAULT-VALUE}).")
    double heldout;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Random seed (default: "
            + "${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--force", description = "Write into OUT even if it is not empty (earlier fold-*, site-* and "
            + "heldout folders there are removed; the links in them are deleted, never their targets).")
    boolean force;

    @Override
    public Integer call() throws IOException {
        PrintWriter err = spec.commandLine().getErr();
        SplitSource source;
        DataSplit split;
        try {
            SplitWriter.checkSeparate(data, out);
            if (!OutputFolder.usable(out, force, "split", err)) {
                return 2;
            }
            source = SplitSource.read(data);
            split = DataSplit.plan(source, new DataSplit.Options(folds, sites, alpha, heldout, seed));
        } catch (SourceDataException | IllegalArgumentException e) {
            err.println("split: " + e.getMessage());
            err.flush();
            return 2;
        }
        if (force) {
            SplitWriter.clearPrevious(out);
        }
        new SplitWriter(source, split).writeAll(out);
        print(source, split);
        return 0;
    }

    private void print(SplitSource source, DataSplit split) {
        PrintWriter o = spec.commandLine().getOut();
        o.printf("split %d bags (%s)%s of %s into %s%n", source.bags().size(), source.kind().folder(),
                source.hasPatients() ? " by patient" : "", source.dir(), out.toAbsolutePath());
        if (source.unlabeled() > 0) {
            o.printf("left out %d unlabeled bag(s)%n", source.unlabeled());
        }
        o.printf("%-7s %-8s %5s %9s%n", "fold", "folder", "bags", "positive");
        for (DataSplit.Fold fold : split.folds()) {
            String f = fold.number() == 0 ? "-" : String.valueOf(fold.number());
            for (int k = 0; k < fold.sites().size(); k++) {
                row(o, f, "site-" + (k + 1), source, fold.sites().get(k));
            }
            row(o, f, SplitWriter.HELDOUT, source, fold.heldout());
        }
        o.flush();
    }

    private static void row(PrintWriter o, String fold, String name, SplitSource source, List<String> ids) {
        java.util.Set<String> mine = new java.util.HashSet<>(ids);
        long positives = source.bags().stream().filter(b -> mine.contains(b.id()) && b.label() == 1).count();
        o.printf("%-7s %-8s %5d %9d%n", fold, name, ids.size(), positives);
    }
}
