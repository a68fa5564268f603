package org.fedmil.mil.data;

import java.util.AbstractList;
import java.util.List;
import java.util.RandomAccess;

/**
 * Several sites' bag lists seen as one, without copying: tile datasets read each bag from disk on access, so the
 * pooled (centralised) data set stays as lazy as its parts (and is marked as read from disk, so the trainer keeps
 * prefetching it even when its parts are in memory: the safe side).
 */
public final class ConcatenatedBags extends AbstractList<Bag> implements RandomAccess, DiskBackedBags {

    private final List<List<Bag>> parts;
    private final int size;

    public ConcatenatedBags(List<List<Bag>> parts) {
        this.parts = List.copyOf(parts);
        this.size = parts.stream().mapToInt(List::size).sum();
    }

    @Override
    public Bag get(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index + " of " + size);
        }
        int i = index;
        for (List<Bag> part : parts) {
            if (i < part.size()) {
                return part.get(i);
            }
            i -= part.size();
        }
        throw new IllegalStateException("unreachable: index " + index + " within size " + size);
    }

    @Override
    public int size() {
        return size;
    }
}
