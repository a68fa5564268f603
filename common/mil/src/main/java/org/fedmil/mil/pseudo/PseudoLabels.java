package org.fedmil.mil.pseudo;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.DiskBackedBags;

/**
 * The unlabeled bags a {@link PseudoLabeller} was confident about, each with the label it gave. Holds indices into
 * the unlabeled list, not bags, so a tile site's bags stay on disk until training reads them.
 */
public final class PseudoLabels {

    /** Unlabeled bag {@code index} gets {@code label} (0 or 1); {@code probability} is what the model said. */
    public record Choice(int index, int label, float probability) {
    }

    private final List<Bag> unlabeled;
    private final List<Choice> choices;

    PseudoLabels(List<Bag> unlabeled, List<Choice> choices) {
        this.unlabeled = unlabeled;
        this.choices = List.copyOf(choices);
    }

    public List<Choice> choices() {
        return choices;
    }

    /** How many unlabeled bags were scored. */
    public int considered() {
        return unlabeled.size();
    }

    public int size() {
        return choices.size();
    }

    public long positives() {
        return choices.stream().filter(c -> c.label() == 1).count();
    }

    /**
     * The labelled bags followed by the pseudo-labelled ones, as one list to train on. Reading element
     * {@code labelled.size() + k} reads unlabeled bag {@code choices().get(k).index()} and relabels it. Like the
     * lists it is made of, it reads from disk on every {@code get} when they do.
     */
    public List<Bag> appendedTo(List<Bag> labelled) {
        if (choices.isEmpty()) {
            return labelled;
        }
        boolean disk = labelled instanceof DiskBackedBags || unlabeled instanceof DiskBackedBags;
        return disk ? new DiskJoined(labelled, this) : new Joined(labelled, this);
    }

    private static class Joined extends AbstractList<Bag> implements RandomAccess {
        private final List<Bag> labelled;
        private final PseudoLabels pseudo;

        Joined(List<Bag> labelled, PseudoLabels pseudo) {
            this.labelled = labelled;
            this.pseudo = pseudo;
        }

        @Override
        public Bag get(int i) {
            if (i < labelled.size()) {
                return labelled.get(i);
            }
            Choice c = pseudo.choices.get(i - labelled.size());
            return pseudo.unlabeled.get(c.index()).withLabel(c.label());
        }

        @Override
        public int size() {
            return labelled.size() + pseudo.choices.size();
        }
    }

    /** The same, marked as read from disk so the trainer prefetches it on a background thread. */
    private static final class DiskJoined extends Joined implements DiskBackedBags {
        DiskJoined(List<Bag> labelled, PseudoLabels pseudo) {
            super(labelled, pseudo);
        }
    }
}
