package org.fedmil.mil.train;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.fedmil.mil.data.Bag;
import org.fedmil.mil.data.DiskBackedBags;

/**
 * Reads (and augments) the next training bag on a background thread while the current one trains. Tile bags are
 * decoded from disk on every read, so the decode of bag k+1 overlaps the forward/backward pass of bag k, and only
 * two bags are in memory at a time however many the site has.
 *
 * <p>Bags already in memory and not augmented are read inline, on the caller's thread: there is nothing to
 * overlap, and waking the loader thread and waiting for it every step cost more than a small bag's whole step
 * on a busy 2-core machine (measured by the training-throughput benchmark).
 */
final class BagPrefetcher implements AutoCloseable {

    private final List<Bag> bags;
    private final BagAugmentation augmentation;
    private final long seed;
    /** Null when bags are read inline. */
    private final ExecutorService loader;

    BagPrefetcher(List<Bag> bags, BagAugmentation augmentation, long seed) {
        this.bags = bags;
        this.augmentation = augmentation;
        this.seed = seed;
        this.loader = bags instanceof DiskBackedBags || augmentation != BagAugmentation.NONE
                ? Executors.newSingleThreadExecutor(r -> {
                    Thread t = new Thread(r, "fedmil-bag-loader");
                    t.setDaemon(true);
                    return t;
                })
                : null;
    }

    /** Starts reading bag {@code index} for {@code epoch}. */
    Future<Bag> request(int epoch, int index) {
        if (loader == null) {
            try {
                return CompletableFuture.completedFuture(read(epoch, index));
            } catch (RuntimeException | Error e) {
                // surfaces at await, as a background read's error would
                return CompletableFuture.failedFuture(e);
            }
        }
        return loader.submit(() -> read(epoch, index));
    }

    private Bag read(int epoch, int index) {
        Bag bag = bags.get(index);
        // keyed by (epoch, bag), not by thread timing, so a round's augmentations are reproducible
        Random rng = new Random(seed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + index);
        return augmentation.apply(bag, rng);
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
        if (loader != null) {
            loader.shutdownNow();
        }
    }
}
