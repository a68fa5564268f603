package org.fedmil.coordinator.round;

import java.util.List;

/**
 * Where a restarted coordinator takes up, read back from its state folder: the rounds completed (round 0 first)
 * and skipped before the crash, and the global model of the last completed round. The round that was open at
 * the crash runs again from that model; its updates are asked for anew.
 */
public record Resume(List<RoundResult> completed, List<Integer> skipped, GlobalModel model) {

    public Resume {
        completed = List.copyOf(completed);
        skipped = List.copyOf(skipped);
        if (completed.isEmpty()) {
            throw new IllegalArgumentException("a resumed federation has at least round 0 in its metrics");
        }
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
