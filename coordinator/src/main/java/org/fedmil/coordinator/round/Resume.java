package org.fedmil.coordinator.round;

import java.util.List;

/**
 * Where a restarted coordinator takes up, read back from its state folder: the rounds completed (round 0 first)
 * and skipped before the crash, and the global model of the last completed round. The round that was open at
 * the crash runs again from that model; its updates are asked for anew. A federation that had finished stays
 * finished ({@code finishReason}); {@code joinedSites} were joined when the coordinator stopped and
 * {@code knownSites} had ever joined.
 */
public record Resume(List<RoundResult> completed, List<Integer> skipped, GlobalModel model, String finishReason,
                     List<String> joinedSites, List<String> knownSites) {

    public Resume {
        completed = List.copyOf(completed);
        skipped = List.copyOf(skipped);
        joinedSites = List.copyOf(joinedSites);
        knownSites = List.copyOf(knownSites);
        if (completed.isEmpty()) {
            throw new IllegalArgumentException("a resumed federation has at least round 0 in its metrics");
        }
    }

    /** A federation that was running when its coordinator stopped, no site recorded. */
    public Resume(List<RoundResult> completed, List<Integer> skipped, GlobalModel model) {
        this(completed, skipped, model, null, List.of(), List.of());
    }

    /** The federation had finished (all rounds done, or aborted) before the coordinator stopped. */
    public boolean finished() {
        return finishReason != null;
    }

    /** The round to run next: one past the last completed or skipped round. */
    public int nextRound() {
        int last = completed.get(completed.size() - 1).round();
        for (int s : skipped) {
            last = Math.max(last, s);
        }
        return last + 1;
    }
}
