package org.fedmil.mil.data;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A synthetic MIL problem: every instance is N(0, I) noise except that a positive bag hides exactly one
 * "lesion" instance drawn from N(μ, I), μ = 2 on the first half of the dimensions. A bag's label is the
 * only supervision; where the lesion sits is known here so tests can check what attention looks at.
 *
 * @param lesionIndex per bag, the row of the lesion instance, or −1 for a negative bag
 */
public record LesionBags(List<Bag> bags, int[] lesionIndex) {

    public static LesionBags generate(int count, int dim, int minInstances, int maxInstances, long seed) {
        Random rng = new Random(seed);
        List<Bag> bags = new ArrayList<>(count);
        int[] lesions = new int[count];
        for (int b = 0; b < count; b++) {
            int n = minInstances + rng.nextInt(maxInstances - minInstances + 1);
            int label = b % 2;
            float[] features = new float[n * dim];
            for (int i = 0; i < features.length; i++) {
                features[i] = (float) rng.nextGaussian();
            }
            lesions[b] = -1;
            if (label == 1) {
                int lesion = rng.nextInt(n);
                for (int j = 0; j < dim / 2; j++) {
                    features[lesion * dim + j] += 2f;
                }
                lesions[b] = lesion;
            }
            bags.add(new Bag("bag-" + b, label, n, dim, features));
        }
        return new LesionBags(List.copyOf(bags), lesions);
    }

    public int[] labels() {
        return bags.stream().mapToInt(Bag::label).toArray();
    }
}
