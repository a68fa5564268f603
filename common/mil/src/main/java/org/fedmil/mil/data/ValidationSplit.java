package org.fedmil.mil.data;

import java.nio.charset.StandardCharsets;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.RandomAccess;
import org.fedmil.util.Sha256;

/**
 * Which labelled bags a party keeps back to validate on: a stratified fraction of each class, chosen by a hash of
 * the bag id and a seed, so the same bags are chosen whatever order the list comes in, on every call and after a
 * restart, and a bag added later moves few others. Each class with at least two bags gives at least one
 * validation bag and keeps at least one for training; a class with one bag trains on it.
 *
 * @param fraction share of each class held out, in [0, 1); 0 turns validation off
 * @param seed     mixed into the hash: another seed, another (equally stratified) choice
 */
public record ValidationSplit(double fraction, long seed) {

    /** The default share of each class kept for validation. */
    public static final double DEFAULT_FRACTION = 0.2;

    /** No validation: every bag trains. */
    public static final ValidationSplit NONE = new ValidationSplit(0, 0);

    public ValidationSplit {
        if (!(fraction >= 0 && fraction < 1)) {
            throw new IllegalArgumentException("validation fraction is " + fraction + "; it must be in [0, 1) "
                    + "(0 turns validation off, " + DEFAULT_FRACTION + " is the default)");
        }
    }

    /** Whether any bag is to be held out at all. */
    public boolean enabled() {
        return fraction > 0;
    }

    /**
     * Indices into the party's labelled bags, each list in ascending order.
     *
     * @param tooSmall validation was asked for but no class has two bags, so every bag trains
     */
    public record Assignment(int[] training, int[] validation, boolean tooSmall) {

        public boolean hasValidation() {
            return validation.length > 0;
        }

        /** The training bags of {@code bags} (the list the indices were made for), without copying it. */
        public <T> List<T> trainingOf(List<T> bags) {
            return view(bags, training);
        }

        /** The validation bags of {@code bags}, without copying it. */
        public <T> List<T> validationOf(List<T> bags) {
            return view(bags, validation);
        }
    }

    /** Splits bags known by id and label (0 or 1), in any order; ids must be unique. */
    public Assignment assign(List<String> ids, int[] labels) {
        if (ids.size() != labels.length) {
            throw new IllegalArgumentException(ids.size() + " bag ids but " + labels.length + " labels");
        }
        boolean[] held = new boolean[labels.length];
        boolean anyClassSplittable = false;
        for (int label = 0; label <= 1; label++) {
            List<Integer> members = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == label) {
                    members.add(i);
                }
            }
            int n = members.size();
            if (!enabled() || n < 2) {
                continue;
            }
            anyClassSplittable = true;
            int k = (int) Math.max(1, Math.min(n - 1, Math.round(fraction * n)));
            long[] keys = new long[labels.length];
            for (int i : members) {
                keys[i] = key(ids.get(i));
            }
            members.sort(Comparator.<Integer>comparingLong(i -> keys[i]).thenComparing(ids::get));
            for (int j = 0; j < k; j++) {
                held[members.get(j)] = true;
            }
        }
        int[] validation = indices(held, true);
        int[] training = indices(held, false);
        return new Assignment(training, validation, enabled() && !anyClassSplittable);
    }

    /** Splits bags already read (ids and labels come from the bags themselves). */
    public Assignment assign(List<Bag> bags) {
        List<String> ids = new ArrayList<>(bags.size());
        int[] labels = new int[bags.size()];
        for (int i = 0; i < bags.size(); i++) {
            Bag b = bags.get(i);
            ids.add(b.id());
            labels[i] = b.label();
        }
        return assign(ids, labels);
    }

    /** Splits the labelled rows of a bags.csv (the order of {@link BagDataset#bags()}); decodes no bag. */
    public Assignment assignEntries(List<BagEntry> entries) {
        return assign(entries.stream().map(BagEntry::id).toList(),
                entries.stream().mapToInt(BagEntry::label).toArray());
    }

    /**
     * A party's data set split for training and validation.
     *
     * @param trainingCounts the training bags' label counts
     */
    public record Parts(List<Bag> training, List<Bag> validation, LabelCounts trainingCounts) {
    }

    /**
     * Splits a party's data set. A folder's ids and labels come from its bags.csv, so no tile is decoded to
     * choose; a data set built in memory has its bags at hand. With validation off every bag trains.
     */
    public Parts split(BagDataset data) {
        if (!enabled()) {
            return new Parts(data.bags(), List.of(), data.labelCounts());
        }
        java.nio.file.Path dir = java.nio.file.Path.of(data.name());
        List<String> ids;
        int[] labels;
        if (java.nio.file.Files.isRegularFile(dir.resolve(BagDataset.INDEX_FILE))) {
            List<BagEntry> rows = BagDataset.readIndex(dir);
            ids = rows.stream().map(BagEntry::id).toList();
            labels = rows.stream().mapToInt(BagEntry::label).toArray();
        } else {
            ids = data.bags().stream().map(Bag::id).toList();
            labels = data.bags().stream().mapToInt(Bag::label).toArray();
        }
        Assignment a = assign(ids, labels);
        long positives = 0;
        for (int i : a.training()) {
            positives += labels[i];
        }
        return new Parts(a.trainingOf(data.bags()), a.validationOf(data.bags()),
                new LabelCounts(a.training().length - positives, positives));
    }

    private long key(String id) {
        byte[] h = Sha256.of((seed + "|" + id).getBytes(StandardCharsets.UTF_8));
        long k = 0;
        for (int i = 0; i < 8; i++) {
            k = (k << 8) | (h[i] & 0xff);
        }
        return k;
    }

    private static int[] indices(boolean[] held, boolean wanted) {
        return java.util.stream.IntStream.range(0, held.length).filter(i -> held[i] == wanted).toArray();
    }

    /**
     * A read-only view of {@code list} at {@code indices}; a lazy list stays lazy, and one read from disk stays
     * marked so (the trainer prefetches it). All indices in order: the list itself, as it was before any split.
     */
    static <T> List<T> view(List<T> list, int[] indices) {
        if (indices.length == list.size() && java.util.stream.IntStream.range(0, indices.length)
                .allMatch(i -> indices[i] == i)) {
            return list;
        }
        int[] at = Arrays.copyOf(indices, indices.length);
        return list instanceof DiskBackedBags ? new DiskIndexedView<>(list, at) : new IndexedView<>(list, at);
    }

    private static final class DiskIndexedView<T> extends IndexedView<T> implements DiskBackedBags {
        DiskIndexedView(List<T> list, int[] at) {
            super(list, at);
        }
    }

    private static class IndexedView<T> extends AbstractList<T> implements RandomAccess {
        private final List<T> list;
        private final int[] at;

        IndexedView(List<T> list, int[] at) {
            this.list = list;
            this.at = at;
        }

        @Override
        public T get(int index) {
            return list.get(at[index]);
        }

        @Override
        public int size() {
            return at.length;
        }
    }
}
