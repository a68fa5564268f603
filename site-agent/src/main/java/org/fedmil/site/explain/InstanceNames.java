package org.fedmil.site.explain;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.BagDataset;

/**
 * Names each instance of a bag for people reading an explanation: the tile file it is, for tile bags, or
 * {@code instance_<i>} for bags of feature vectors. This is the one place where tile file names are looked up.
 */
public final class InstanceNames {

    /**
     * One instance as shown to people.
     *
     * @param name a tile's file name, or {@code instance_<i>}
     * @param tile the tile image file, or null when the instance is a feature vector
     */
    public record Instance(String name, Path tile) {
    }

    private InstanceNames() {
    }

    /** The bag's instances in row order (row i of the bag's matrix is element i). */
    public static List<Instance> of(BagDataset data, Bag bag) {
        List<Instance> out = new ArrayList<>(bag.instances());
        if (data.isTiles()) {
            // instance i of a tile bag is tile file i (BagDataset.tileFiles lists them in instance order)
            for (Path tile : data.tileFiles(bag.id())) {
                out.add(new Instance(tile.getFileName().toString(), tile));
            }
            return out;
        }
        for (int i = 0; i < bag.instances(); i++) {
            out.add(new Instance("instance_" + i, null));
        }
        return out;
    }
}
