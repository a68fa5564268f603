package org.fedmil.mil.train;

import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fedmil.mil.data.Bag;

/**
 * Reads (and augments) the next training bag on a background thread while the current one trains. Tile bags are
 * decoded from disk on every read, so the decode of bag k+1 overlaps the forward/backward pass of bag k, and only
 * two bags are in memory at a time however many the site has.
 */
final class BagPrefetcher implements AutoCloseable {

    private final List<Bag> bags;
    private final BagAugmentation augmentation;
    private final long seed;
    private final ExecutorService loader = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "fedmil-bag-loader");
        t.setDaemon(true);
        return t;
    });

    BagPrefetcher(List<Bag> bags, BagAugmentation augmentation, long seed) {
        this.bags = bags;
        this.augmentation = augmentation;
        this.seed = seed;
    }

    /** Starts reading bag {@code index} for {@code epoch}. */
    Future<Bag> request(int epoch, int index) {
        return loader.submit(() -> {
            Bag bag = bags.get(index);
            // keyed by (epoch, bag), not by thread timing, so a round's augmentations are reproducible
            Random rng = new Random(seed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + index);
            return augmentation.apply(bag, rng);
        });
    }

    /** The bag a {@link #request} produced; a read error surfaces here as it was thrown (e.g. naming the file). */
    static Bag await(Future<Bag> pending) throws InterruptedException {
        try {
            return pending.get();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException r) {
                throw r;
            }
            if (e.getCause() instanceof Error err) {
                throw err;
            }
            throw new IllegalStateException("reading a bag failed: " + e.getCause(), e.getCause());
        }
    }

    @Override
    public void close() {
        loader.shutdownNow();
    }
}
