package org.fedmil.coordinator.server;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.fedmil.protocol.ChunkAssembler;
import org.fedmil.util.Sha256;

/**
 * The bytes of uploads whose stream broke, kept per (site, round, delta SHA-256) so that the site can resume
 * from the last byte the coordinator holds instead of sending everything again. Only a complete, checked
 * upload reaches the round; a partial one never does. Partials of rounds that are over are dropped.
 *
 * <p>Partials live in memory: a coordinator restart re-opens the round and asks every site for its update
 * again, so a partial outliving the process would have no round to go to.
 */
final class UploadSpool {

    record Key(String site, int round, String sha256) {
        static Key of(String site, int round, byte[] sha) {
            return new Key(site, round, Sha256.hex(sha));
        }
    }

    /**
     * One upload's bytes so far. A newer stream of the same upload takes it over (its generation), so a stream
     * left over from a broken connection cannot append behind the resumed one's back.
     */
    static final class Partial {
        final ChunkAssembler bytes;
        private int generation;

        Partial(long totalBytes) {
            this.bytes = new ChunkAssembler(totalBytes);
        }

        synchronized int takeOver() {
            return ++generation;
        }

        synchronized boolean ownedBy(int generation) {
            return this.generation == generation;
        }
    }

    private final Map<Key, Partial> partials = new ConcurrentHashMap<>();

    /** The partial of this upload, created empty if none is held; drops partials of rounds before {@code currentRound}. */
    Partial open(Key key, long totalBytes, int currentRound) {
        partials.keySet().removeIf(k -> k.round() < currentRound);
        Partial p = partials.computeIfAbsent(key, k -> new Partial(totalBytes));
        if (p.bytes.expected() != totalBytes) {
            // same SHA-256, other size: a confused header; start that upload over
            p = new Partial(totalBytes);
            partials.put(key, p);
        }
        return p;
    }

    /** Bytes held of this upload; 0 when none. */
    long held(Key key) {
        Partial p = partials.get(key);
        return p == null ? 0 : p.bytes.received();
    }

    void drop(Key key) {
        partials.remove(key);
    }
}
