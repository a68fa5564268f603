package org.fedmil.site.explain;

import java.nio.file.Path;

/**
 * What the model made of one instance of a bag.
 *
 * @param rank      1 for the instance with the largest attention weight in its bag
 * @param index     the instance's row in the bag
 * @param name      the tile's file name, or {@code instance_<i>}
 * @param tile      the tile image file, or null for a feature vector
 * @param attention its share of the bag embedding ({@code MilModel.attentionWeights}); a bag's shares sum to 1
 * @param score     its probability of being positive as a bag of its own ({@code MilModel.instanceScores})
 */
public record InstanceExplanation(int rank, int index, String name, Path tile, float attention, float score) {
}
