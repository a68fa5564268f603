package org.fedmil.coordinator.round;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The FedAvg weights one round may give its sites, fixed when the round opens from what its participants declared
 * at join (their bag counts, recorded in the signed round log). A site's upload may claim at most its own
 * declaration; the weight it is folded in with is its claim, clamped to the round's cap.
 *
 * <p>The cap {@code c} bounds any one site's share of the round's total weight by {@code max_site_share} s. It is
 * the water level of the participants' declarations d: c = s · Σ min(dⱼ, c), so that with every participant
 * claiming what it declared no site weighs more than s of the total. It is decided at round open, not at the end,
 * because the linear strategies fold each update as it arrives (O(model) memory): its weight must be known then,
 * and the declarations are the only totals known up front. A site that claims less than it declared (its
 * validation bags do not train), or a participant that never reports, leaves the others' shares a little above s;
 * the effective weights are written to the round log, so an auditor sees the shares as aggregated.
 *
 * <p>A cap of share s needs K · s &gt; 1 participants (K = 1: one site is the whole round; K · s = 1: every site
 * would be clamped to the smallest declaration, weights equal whatever the bag counts): below that the round is
 * weighted by the claims alone, each still bounded by its declaration.
 *
 * <p>A securely aggregated round is capped the same way, though the coordinator never sees a site's weighted delta:
 * each site is told its {@link #assignedWeight} in its mask task and weighs its delta by min(claim, assigned)
 * before masking, and the coordinator divides the unmasked sum by the same weights ({@link #weightOf} of the claims
 * in the clear), so that the mean is the capped FedAvg. A site that weighs its masked delta by more than told is
 * not seen (the coordinator cannot check a masked delta); docs/auditor-guide.md says what that leaves open.
 */
final class RoundWeights {

    /** No cap: weights are the claims. */
    static final long NO_CAP = Long.MAX_VALUE;

    private final Map<String, Long> declared;
    private final long cap;
    private final String capNote;

    private RoundWeights(Map<String, Long> declared, long cap, String capNote) {
        this.declared = declared;
        this.cap = cap;
        this.capNote = capNote;
    }

    /**
     * @param participants the round's participants and what each declared at join
     * @param maxSiteShare s in (0, 1]; 1 turns the cap off
     */
    static RoundWeights open(Map<String, SiteJoin> participants, double maxSiteShare) {
        Map<String, Long> declared = new LinkedHashMap<>();
        participants.forEach((site, join) -> declared.put(site, declaredBags(site, join)));
        int k = declared.size();
        if (maxSiteShare >= 1) {
            return new RoundWeights(declared, NO_CAP, "off (strategy.max_site_share = 1)");
        }
        if (k * maxSiteShare <= 1) {
            return new RoundWeights(declared, NO_CAP, "off (" + k + " participants: a share cap of " + maxSiteShare
                    + " needs more than " + (int) Math.floor(1 / maxSiteShare) + ")");
        }
        long[] d = declared.values().stream().mapToLong(Long::longValue).toArray();
        long c = waterLevel(d, maxSiteShare);
        return new RoundWeights(declared, c, c == NO_CAP ? "none reached" : String.valueOf(c));
    }

    /**
     * The bag count a site declared at join, summed with checked arithmetic: a declaration that does not fit in a
     * 64-bit count, or holds a negative count, is refused rather than wrapped.
     */
    static long declaredBags(String siteId, SiteJoin join) {
        long total = 0;
        for (Map.Entry<Integer, Long> e : join.bagsPerLabel().entrySet()) {
            if (e.getValue() < 0) {
                throw new FederationException(io.grpc.Status.Code.INVALID_ARGUMENT, "site '" + siteId + "' declares "
                        + e.getValue() + " bags of label " + e.getKey() + "; a bag count is 0 or more");
            }
            try {
                total = Math.addExact(total, e.getValue());
            } catch (ArithmeticException overflow) {
                throw new FederationException(io.grpc.Status.Code.INVALID_ARGUMENT, "site '" + siteId
                        + "' declares bag counts " + join.bagsPerLabel() + " whose total exceeds "
                        + Long.MAX_VALUE + "; send the site's true label counts");
            }
        }
        return total;
    }

    /**
     * Refuses a join whose declared bags, added to those of the sites already joined, would not fit in a 64-bit
     * total: every round's total weight stays a checked sum.
     */
    static void requireCountable(String siteId, SiteJoin join, Map<String, SiteJoin> joined) {
        long total = declaredBags(siteId, join);
        for (Map.Entry<String, SiteJoin> other : joined.entrySet()) {
            if (other.getKey().equals(siteId)) {
                continue; // a re-join replaces the site's own declaration
            }
            try {
                total = Math.addExact(total, declaredBags(other.getKey(), other.getValue()));
            } catch (ArithmeticException overflow) {
                throw new FederationException(io.grpc.Status.Code.INVALID_ARGUMENT, "site '" + siteId
                        + "' declares " + declaredBags(siteId, join) + " bags; with the bags the joined sites "
                        + "declared the federation's total would exceed " + Long.MAX_VALUE
                        + "; send the site's true label counts");
            }
        }
    }

    /** Refuses a claim above what the site declared at join (OVER_DECLARED). */
    void requireClaimable(String siteId, int round, long claimed) {
        Long d = declared.get(siteId);
        if (d != null && claimed > d) {
            throw UpdateRefusal.OVER_DECLARED.because("site '" + siteId + "' claims num_training_bags = " + claimed
                    + " for round " + round + " but declared " + d + " bags when it joined (recorded in the round "
                    + "log); an update may claim at most the site's declared bags, its FedAvg weight. Nothing of "
                    + "it was taken");
        }
    }

    /**
     * The most a participant's update may weigh this round: its declaration, clamped to the cap. What a securely
     * aggregated round tells the site to weigh its delta by at most; 1 for a site that is not a participant.
     */
    long assignedWeight(String siteId) {
        Long d = declared.get(siteId);
        return d == null ? 1 : Math.max(1, Math.min(d, cap));
    }

    /** The weight an accepted claim is folded in with: the claim, clamped to the round's cap. */
    long weightOf(long claimed) {
        return Math.min(claimed, cap);
    }

    /**
     * What a participant's declared label counts add to the federation's class totals (the {@code federation}
     * class weights every site trains with): its counts scaled by the same factor as its weight, cap ÷ declared
     * when its declaration is above the cap. A site cannot then skew every site's loss with counts it declares
     * any more than it can weigh in the mean; and the round's FedAvg of site losses stays the pooled class-balanced
     * loss of the bags as weighted.
     */
    org.fedmil.mil.data.LabelCounts labelsOf(String siteId, SiteJoin join) {
        long negatives = join.bagsPerLabel().getOrDefault(0, 0L);
        long positives = join.bagsPerLabel().getOrDefault(1, 0L);
        Long d = declared.get(siteId);
        if (cap == NO_CAP || d == null || d <= cap) {
            return new org.fedmil.mil.data.LabelCounts(negatives, positives);
        }
        double scale = (double) cap / d;
        return new org.fedmil.mil.data.LabelCounts(Math.round(negatives * scale), Math.round(positives * scale));
    }

    /** The round's cap, or {@link #NO_CAP}. */
    long cap() {
        return cap;
    }

    /** The cap as the round log shows it: a number, or "off (why)". */
    String capNote() {
        return capNote;
    }

    /**
     * The largest weight c with c = s · Σ min(dⱼ, c): sorted descending, the m largest declarations are clamped to
     * c and the rest R keep theirs, c = s·R / (1 − s·m), valid when it lies between the m-th and (m+1)-th largest.
     * {@link #NO_CAP} when no declaration exceeds s of the total. Needs K · s &gt; 1.
     */
    static long waterLevel(long[] declared, double share) {
        long[] d = declared.clone();
        Arrays.sort(d);
        int k = d.length;
        long rest = 0;
        for (long x : d) {
            rest = Math.addExact(rest, x);
        }
        for (int m = 0; m < k && share * m < 1; m++) {
            double c = share * rest / (1 - share * m);
            long largestUnclamped = d[k - 1 - m];
            if (c >= largestUnclamped && (m == 0 || c <= d[k - m])) {
                return m == 0 ? NO_CAP : Math.max(1, (long) Math.floor(c));
            }
            rest -= largestUnclamped;
        }
        // not reached with K·s > 1; the equal weights of the smallest declaration are the safe side
        return Math.max(1, d[0]);
    }
}
