package org.fedmil.mil.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ValidationSplitTest {

    private static List<String> ids(int n) {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add("bag-" + i);
        }
        return ids;
    }

    private static Set<String> chosen(List<String> ids, int[] indices) {
        Set<String> s = new HashSet<>();
        for (int i : indices) {
            s.add(ids.get(i));
        }
        return s;
    }

    @Test
    void holdsOutTheFractionOfEachClassAndNeverOverlapsTraining() {
        List<String> ids = ids(50);
        int[] labels = new int[50];
        for (int i = 0; i < 10; i++) {
            labels[i] = 1; // 10 positive, 40 negative
        }
        ValidationSplit.Assignment a = new ValidationSplit(0.2, 7).assign(ids, labels);
        int pos = 0;
        for (int i : a.validation()) {
            pos += labels[i];
        }
        assertEquals(10, a.validation().length);
        assertEquals(2, pos, "20 % of the 10 positives");
        assertEquals(40, a.training().length);
        Set<String> val = chosen(ids, a.validation());
        Set<String> train = chosen(ids, a.training());
        assertTrue(Collections.disjoint(val, train));
        assertEquals(50, val.size() + train.size());
        assertFalse(a.tooSmall());
    }

    @Test
    void sameBagsWhateverTheOrderAndOnEveryCall() {
        List<String> ids = ids(30);
        int[] labels = new int[30];
        for (int i = 0; i < 30; i += 3) {
            labels[i] = 1;
        }
        ValidationSplit split = new ValidationSplit(0.25, 3);
        Set<String> first = chosen(ids, split.assign(ids, labels).validation());
        assertEquals(first, chosen(ids, new ValidationSplit(0.25, 3).assign(ids, labels).validation()));
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(1));
        List<String> shuffledIds = new ArrayList<>();
        int[] shuffledLabels = new int[30];
        for (int j = 0; j < 30; j++) {
            shuffledIds.add(ids.get(order.get(j)));
            shuffledLabels[j] = labels[order.get(j)];
        }
        assertEquals(first, chosen(shuffledIds, split.assign(shuffledIds, shuffledLabels).validation()),
                "keyed by bag id, not list position");
        assertTrue(!first.equals(chosen(ids, new ValidationSplit(0.25, 4).assign(ids, labels).validation())),
                "another seed chooses other bags");
    }

    @Test
    void everyClassWithTwoBagsGivesOneAndKeepsOne() {
        List<String> ids = ids(5);
        int[] labels = {1, 1, 0, 0, 0};
        ValidationSplit.Assignment a = new ValidationSplit(0.1, 0).assign(ids, labels);
        int pos = 0;
        for (int i : a.validation()) {
            pos += labels[i];
        }
        assertEquals(2, a.validation().length);
        assertEquals(1, pos);
        ValidationSplit.Assignment half = new ValidationSplit(0.9, 0).assign(ids, labels);
        assertEquals(2, half.validation().length - 1, "0.9 of 3 negatives leaves one to train; 1 of 2 positives");
    }

    @Test
    void aSiteTooSmallTrainsOnEverything() {
        ValidationSplit.Assignment a = new ValidationSplit(0.2, 0).assign(List.of("a", "b"), new int[] {0, 1});
        assertTrue(a.tooSmall());
        assertFalse(a.hasValidation());
        assertArrayEquals(new int[] {0, 1}, a.training());
        ValidationSplit.Assignment off = ValidationSplit.NONE.assign(ids(10), new int[10]);
        assertFalse(off.tooSmall(), "off is not too small");
        assertEquals(10, off.training().length);
    }

    @Test
    void viewsAreTheChosenElements() {
        List<String> ids = ids(10);
        ValidationSplit.Assignment a = new ValidationSplit(0.3, 1).assign(ids, new int[10]);
        assertEquals(chosen(ids, a.validation()), new HashSet<>(a.validationOf(ids)));
        assertEquals(7, a.trainingOf(ids).size());
    }

    @Test
    void aFolderAndTheSameBagsInMemorySplitAlikeWithTheTrainingCounts(@org.junit.jupiter.api.io.TempDir
                                                                       java.nio.file.Path dir) throws Exception {
        List<Bag> bags = new ArrayList<>();
        Random r = new Random(5);
        for (int i = 0; i < 30; i++) {
            bags.add(new Bag("bag-" + i, i % 3 == 0 ? 1 : 0, 2, 3, new float[] {r.nextFloat(), 1, 2, 3, 4, 5}));
        }
        BagDataset memory = BagDataset.of("in-memory", bags);
        BagDatasetWriter.write(dir.resolve("site"), memory);
        BagDataset folder = BagDataset.load(dir.resolve("site"));
        ValidationSplit split = new ValidationSplit(0.2, 3);

        ValidationSplit.Parts a = split.split(memory);
        ValidationSplit.Parts b = split.split(folder);

        assertEquals(a.validation().stream().map(Bag::id).toList(), b.validation().stream().map(Bag::id).toList());
        assertEquals(6, a.validation().size());
        // 10 positives and 20 negatives; 2 and 4 held out
        assertEquals(new LabelCounts(16, 8), a.trainingCounts());
        assertEquals(a.trainingCounts(), b.trainingCounts());
        assertEquals(30, ValidationSplit.NONE.split(folder).training().size());
    }

    @Test
    void refusesAFractionOutsideZeroToOne() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ValidationSplit(1.0, 0));
        assertTrue(e.getMessage().contains("[0, 1)"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new ValidationSplit(-0.1, 0));
    }
}
