package org.fedmil.data.split;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.fedmil.data.split.SplitSource.SourceBag;

/**
 * Where every bag of a data set goes: per fold (or once, without folds) a held-out set for the coordinator and
 * K non-IID training sites. Bags move as patients: all bags of one patient are in the same fold and, within a
 * fold's training part, at the same site, so no patient is in both a held-out set and a training site.
 *
 * <ul>
 *   <li>k-fold: {@link StratifiedFolds} over patients; fold i's test patients are its held-out set.</li>
 *   <li>no folds: per label, max(1, round(fraction · patients of that label)) random patients are held out.</li>
 *   <li>sites: {@link DirichletSplitter} over the remaining patients (label = positive iff any of its bags is,
 *       size = its instances), each fold drawn from its own seed.</li>
 * </ul>
 * The same source, options and seed always give the same split.
 *
 * @param folds the folds in order; exactly one (number 0) without k-fold
 */
public record DataSplit(Options options, List<Fold> folds) {

    /**
     * @param folds           k ≥ 2 for k-fold cross-validation, 0 for one held-out split
     * @param heldoutFraction without folds: the fraction of each label held out
     */
    public record Options(int folds, int sites, double alpha, double heldoutFraction, long seed) {
    }

    /**
     * One split: bag ids of each site and of the held-out set, in source order.
     *
     * @param number 1-based fold, 0 without folds
     */
    public record Fold(int number, List<List<String>> sites, List<String> heldout) {

        /** The folder name below the output: fold-i, or none without folds. */
        public String folder() {
            return number == 0 ? "" : "fold-" + number;
        }
    }

    /** A patient: its bags (indices into the source) and the label and size the split stratifies by. */
    private record Unit(List<Integer> bags, int label, long size) {
    }

    /** Decides the split; throws {@link IllegalArgumentException} saying what to change when it cannot. */
    public static DataSplit plan(SplitSource source, Options options) {
        if (options.sites() < 1) {
            throw new IllegalArgumentException("--sites must be at least 1, got " + options.sites());
        }
        List<Unit> units = units(source.bags());
        String unit = source.hasPatients() ? "patient" : "bag";
        int[] test = new int[units.size()];
        int count;
        if (options.folds() > 0) {
            test = StratifiedFolds.assign(units.stream().mapToInt(Unit::label).toArray(),
                    units.stream().mapToInt(u -> u.bags().size()).toArray(), options.folds(),
                    Seeds.derive(options.seed(), 21), unit);
            count = options.folds();
        } else {
            test = holdOut(units, options, unit);
            count = 1;
        }
        List<Fold> folds = new ArrayList<>();
        for (int f = 0; f < count; f++) {
            folds.add(fold(source, units, test, f, options, unit));
        }
        return new DataSplit(options, List.copyOf(folds));
    }

    private static List<Unit> units(List<SourceBag> bags) {
        Map<String, List<Integer>> byPatient = new LinkedHashMap<>();
        for (int i = 0; i < bags.size(); i++) {
            byPatient.computeIfAbsent(bags.get(i).patient(), k -> new ArrayList<>()).add(i);
        }
        List<Unit> units = new ArrayList<>();
        for (List<Integer> members : byPatient.values()) {
            int label = members.stream().mapToInt(i -> bags.get(i).label()).max().orElseThrow();
            long size = members.stream().mapToLong(i -> bags.get(i).size()).sum();
            units.add(new Unit(List.copyOf(members), label, size));
        }
        return units;
    }

    /** 0 for held-out units, 1 for training units. */
    private static int[] holdOut(List<Unit> units, Options options, String unit) {
        double fraction = options.heldoutFraction();
        if (!(fraction > 0 && fraction < 1)) {
            throw new IllegalArgumentException("--heldout must be between 0 and 1 (exclusive), got " + fraction);
        }
        int[] test = new int[units.size()];
        java.util.Arrays.fill(test, 1);
        Random rng = new Random(Seeds.derive(options.seed(), 22));
        for (int label = 0; label <= 1; label++) {
            List<Integer> ofLabel = new ArrayList<>();
            for (int i = 0; i < units.size(); i++) {
                if (units.get(i).label() == label) {
                    ofLabel.add(i);
                }
            }
            int want = Math.max(1, (int) Math.round(fraction * ofLabel.size()));
            if (want >= ofLabel.size()) {
                throw new IllegalArgumentException("label " + label + " has only " + ofLabel.size() + " " + unit
                        + "(s); holding out " + want + " would leave none to train on: add " + unit + "s of label "
                        + label + " or lower --heldout");
            }
            Collections.shuffle(ofLabel, rng);
            ofLabel.subList(0, want).forEach(i -> test[i] = 0);
        }
        return test;
    }

    private static Fold fold(SplitSource source, List<Unit> units, int[] test, int f, Options options,
                             String unit) {
        List<Unit> train = new ArrayList<>();
        List<Integer> heldout = new ArrayList<>();
        for (int i = 0; i < units.size(); i++) {
            if (test[i] == f) {
                heldout.addAll(units.get(i).bags());
            } else {
                train.add(units.get(i));
            }
        }
        int number = options.folds() > 0 ? f + 1 : 0;
        int[] siteOf;
        try {
            siteOf = new DirichletSplitter(options.sites(), options.alpha(), Seeds.derive(options.seed(), 100 + f))
                    .assign(train.stream().mapToInt(Unit::label).toArray(),
                            train.stream().mapToInt(u -> (int) Math.min(Integer.MAX_VALUE, u.size())).toArray());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException((number == 0 ? "" : "fold " + number + ": ") + train.size() + " "
                    + unit + "(s) are left to train on, too few for " + options.sites() + " sites of at least "
                    + DirichletSplitter.MIN_BAGS_PER_SITE + " " + unit + "s each: use fewer --sites"
                    + (options.folds() > 0 ? "" : " or a smaller --heldout"), e);
        }
        List<List<Integer>> sites = new ArrayList<>();
        for (int k = 0; k < options.sites(); k++) {
            sites.add(new ArrayList<>());
        }
        for (int i = 0; i < train.size(); i++) {
            sites.get(siteOf[i]).addAll(train.get(i).bags());
        }
        return new Fold(number, sites.stream().map(s -> ids(source, s)).toList(), ids(source, heldout));
    }

    private static List<String> ids(SplitSource source, List<Integer> indices) {
        return indices.stream().sorted().map(i -> source.bags().get(i).id()).toList();
    }
}
