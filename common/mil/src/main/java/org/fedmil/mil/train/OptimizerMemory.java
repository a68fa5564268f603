package org.fedmil.mil.train;

import java.util.HashMap;
import java.util.Map;

/**
 * A site's optimiser state carried from one round's local training to the next: Adam's first and second moments
 * per weight and its step count. It stays at the site (it is made of the site's gradients) and is never sent.
 *
 * <p>Why carry it: a fresh Adam's first steps are about ±η in every weight whatever the gradient's size (m̂/√v̂ =
 * ±1 at step 1), so a site with 20 bags spends much of each round's 20 steps in that transient, and the sites'
 * transients point different ways on non-IID data. Carried moments make a round continue the site's training
 * instead of restarting it. Empty (a new site, a restarted agent, another optimiser) means a fresh start.
 */
public final class OptimizerMemory {

    private final Map<String, float[]> means = new HashMap<>();
    private final Map<String, float[]> variances = new HashMap<>();
    private int steps;

    /** Whether there is anything to restore. */
    public boolean isEmpty() {
        return steps == 0;
    }

    /** Adam steps taken so far with this state. */
    public int steps() {
        return steps;
    }

    /** Forgets everything: the next training starts a fresh optimiser. */
    public void clear() {
        means.clear();
        variances.clear();
        steps = 0;
    }

    float[] mean(String weight) {
        return means.get(weight);
    }

    float[] variance(String weight) {
        return variances.get(weight);
    }

    void put(String weight, float[] mean, float[] variance) {
        means.put(weight, mean);
        variances.put(weight, variance);
    }

    void steps(int t) {
        steps = t;
    }
}
