package org.fedmil.coordinator.round;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The norm bound relative to the federation's own updates: a plain delta whose L2 norm exceeds m × the median norm
 * of the updates accepted in the last round of the same kind is refused (NORM_OUTLIER), beside the absolute
 * {@code limits.max_update_l2_norm}.
 *
 * <p>Why the previous round's median and not this round's: updates are checked and folded one at a time as they
 * arrive, and the round's own median is known only when the last is in; an attacker uploading first would meet no
 * bound. The previous round's median is known when the round opens. Its limits: a federation's first round, the
 * first supervised round after pretraining (encoder-only deltas have other norms) and the first round after a
 * coordinator restart have no reference, so only the absolute bound applies; a masked (securely aggregated) delta's
 * norm is not known to the coordinator, so no relative bound applies to it; colluding sites that are half a round
 * or more set the median themselves. Norms shrink as the model converges, so the previous round's median errs on
 * the lenient side; a site whose honest update is m times the others' (a far larger data set taking many more
 * steps) is refused with the numbers named, and the operator can raise m.
 */
final class NormReference {

    private enum Kind { PRETRAINING, SUPERVISED }

    private final double multiple;
    private final Map<Kind, Double> medians = new EnumMap<>(Kind.class);
    private final List<Double> open = new ArrayList<>();
    private Kind openKind = Kind.SUPERVISED;

    /** @param multiple m; 0 turns the relative bound off */
    NormReference(double multiple) {
        this.multiple = multiple;
    }

    /** A round opens: the last round's accepted norms, if any, become the reference for rounds of its kind. */
    void roundOpened(boolean pretraining) {
        if (!open.isEmpty()) {
            medians.put(openKind, median(open));
        }
        open.clear();
        openKind = pretraining ? Kind.PRETRAINING : Kind.SUPERVISED;
    }

    /** The bound for this round: m × the reference median, or +∞ when there is none. */
    double bound() {
        Double median = medians.get(openKind);
        return multiple <= 0 || median == null ? Double.POSITIVE_INFINITY : multiple * median;
    }

    /** Refuses a plain delta whose norm is above {@link #bound()}. */
    void requireWithin(String siteId, int round, double norm) {
        double bound = bound();
        if (norm > bound) {
            throw UpdateRefusal.NORM_OUTLIER.because(String.format(Locale.ROOT, "the delta's L2 norm %.4g from "
                    + "site '%s' exceeds strategy.max_norm_to_median = %s times the median norm %.4g of the updates "
                    + "accepted in the previous round (%.4g); round %d refused it. An honest update this much "
                    + "larger than the others' means another learning rate or far more local steps; the operator "
                    + "may raise strategy.max_norm_to_median", norm, siteId, multiple, medians.get(openKind), bound,
                    round));
        }
    }

    /** An accepted plain delta's norm, for the next round's reference. */
    void accepted(double norm) {
        if (Double.isFinite(norm)) {
            open.add(norm);
        }
    }

    static double median(List<Double> values) {
        double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        int n = v.length;
        return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    }
}
