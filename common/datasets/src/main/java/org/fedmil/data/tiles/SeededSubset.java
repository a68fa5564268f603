package org.fedmil.data.tiles;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import org.fedmil.data.split.Seeds;

/**
 * A cap on tiles per bag or slide: a seeded random subset, kept in reading order, that depends on the seed and
 * the bag's (or slide's) id only, not on its position in the input, so adding a bag changes no other bag's tiles.
 */
public final class SeededSubset {

    private SeededSubset() {
    }

    /** All of {@code items} when there are at most {@code max} (or {@code max} is 0), else {@code max} of them. */
    public static <T> List<T> of(List<T> items, int max, long seed, String id) {
        if (max == 0 || items.size() <= max) {
            return items;
        }
        Random rng = new Random(Seeds.derive(seed, stableHash(id)));
        int[] order = new int[items.size()];
        Arrays.setAll(order, i -> i);
        for (int i = 0; i < max; i++) {
            int j = i + rng.nextInt(order.length - i);
            int tmp = order[i];
            order[i] = order[j];
            order[j] = tmp;
        }
        int[] picked = Arrays.copyOf(order, max);
        Arrays.sort(picked);
        return Arrays.stream(picked).mapToObj(items::get).toList();
    }

    /** FNV-1a over the id's UTF-8 bytes: a per-bag stream that does not depend on the bag's position. */
    private static long stableHash(String id) {
        long h = 0xcbf29ce484222325L;
        for (byte b : id.getBytes(StandardCharsets.UTF_8)) {
            h = (h ^ (b & 0xFF)) * 0x100000001b3L;
        }
        return h;
    }
}
