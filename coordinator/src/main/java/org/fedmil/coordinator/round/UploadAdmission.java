package org.fedmil.coordinator.round;

import java.security.MessageDigest;
import java.util.Optional;
import org.fedmil.coordinator.round.FederationRun.Phase;
import org.fedmil.util.Sha256;

/**
 * Takes an upload into the open round, on the event thread: the checks that need the round state (joined,
 * participant, round open, plain or masked as the round asks, resend or duplicate, base model, fixed-point scale),
 * then the {@link UploadValidator}'s verdict, then the update goes into the round's aggregate (or its secure
 * aggregation) and the round closes when it was the last one awaited.
 */
final class UploadAdmission {

    private final FederationRun run;
    private final RoundState state;
    private final SecureAggregationDriver secure;
    private final RoundListener listener;
    private final FederationPlan plan;

    UploadAdmission(FederationRun run, RoundState state, SecureAggregationDriver secure, FederationPlan plan,
                    RoundListener listener) {
        this.run = run;
        this.plan = plan;
        this.state = state;
        this.secure = secure;
        this.listener = listener;
    }

    FederationRun.UploadAccepted admit(String siteId, IncomingUpdate update, UploadValidator.Verdict verdict) {
        requireParticipantOfOpenRound(siteId, update.round());
        if (update.masked() != secure.active()) {
            throw UpdateRefusal.MALFORMED.because(secure.active() ? "round " + state.round + " is securely "
                    + "aggregated: the coordinator takes only masked uploads (UpdateHeader.secure_aggregation), never"
                    + " a site's plain delta" : "round " + state.round + " is not securely aggregated; send the "
                    + "delta itself, not a masked one");
        }
        if (isResend(siteId, update, verdict.ok(), update.masked() ? "masked update" : "update")) {
            return receipt();
        }
        state.weights.requireClaimable(siteId, update.round(), update.trainingBags());
        if (update.masked()) {
            secure.requireScale(siteId, update);
        }
        if (!verdict.ok()) {
            throw verdict.refusal();
        }
        long roundBags = checkedRoundBags(siteId, update.trainingBags());
        // a masked delta was weighed by the site before masking, by this same clamped claim (its mask task told it
        // the most it may weigh); the sum is divided by these weights
        long weight = state.weights.weightOf(update.trainingBags());
        if (update.masked()) {
            secure.masked(siteId, weight, update, verdict.maskedValues());
        } else {
            state.norms.requireWithin(siteId, update.round(), verdict.norm());
            state.aggregation.acceptWire(update.tensors(), verdict.float32Bytes(), weight);
            state.norms.accepted(verdict.norm());
        }
        state.weightedLossSum += update.trainLoss() * update.trainingBags();
        state.roundBags = roundBags;
        state.effectiveWeights.put(siteId, weight);
        state.validation.add(update.validation());
        state.submitted.put(siteId, update.declaredSha256().clone());
        FederationRun.UploadAccepted accepted = receipt();
        Runnable note = null;
        if (update.masked()) {
            note = secure.closeStepIfComplete();
        } else if (state.submitted.size() == state.participants.size()) {
            run.fire(PhaseTable.Event.UPDATES_IN);
        }
        boolean closeNow = state.phase == Phase.AGGREGATING;
        // the norm of a masked delta is unknown to the coordinator by design: recorded as NaN ("masked")
        listener.updateAccepted(new AcceptedUpdate(siteId, accepted.round(), Sha256.hex(update.declaredSha256()),
                update.trainingBags(), update.trainLoss(), verdict.norm(), update.signed(), weight,
                state.weights.cap()));
        if (closeNow || update.masked()) {
            listener.stateChanged(state.runState());
        } else {
            // only the open round's list of accepted updates changed, which a restart does not read back
            listener.stateChangedByUpdate(state.runState());
        }
        if (note != null) {
            note.run();
        }
        if (closeNow) {
            run.closeRound();
        }
        return accepted;
    }

    /** The receipt of this site's update with this SHA-256 if it was accepted in the open round {@code r}. */
    Optional<FederationRun.UploadAccepted> receiptOf(String siteId, int r, byte[] sha256) {
        byte[] earlier = state.submitted.get(siteId);
        if (r != state.round || earlier == null || !MessageDigest.isEqual(earlier, sha256)) {
            return Optional.empty();
        }
        return Optional.of(receipt());
    }

    /** The checks of {@link #admit} that need no byte of the upload. */
    void requireUploadable(String siteId, int updateRound) {
        requireParticipantOfOpenRound(siteId, updateRound);
        if (secure.active()) {
            secure.requireMaskStep(siteId);
        }
    }

    /** The header's claimed bags within the site's declaration, for an upload {@link #requireUploadable} passed. */
    void requireClaimable(String siteId, int updateRound, long claimedBags) {
        requireParticipantOfOpenRound(siteId, updateRound);
        if (!state.submitted.containsKey(siteId)) {
            state.weights.requireClaimable(siteId, updateRound, claimedBags);
        }
    }

    /** The round's bag total with this claim, a checked sum: an overflow refuses the update, never wraps. */
    private long checkedRoundBags(String siteId, long claimed) {
        try {
            return Math.addExact(state.roundBags, claimed);
        } catch (ArithmeticException overflow) {
            throw UpdateRefusal.BAD_HEADER_VALUES.because("site '" + siteId + "' claims " + claimed + " bags; with the "
                    + state.roundBags + " of the round's other updates the total would exceed " + Long.MAX_VALUE);
        }
    }

    private FederationRun.UploadAccepted receipt() {
        return new FederationRun.UploadAccepted(state.round, state.submitted.size(), state.participants.size());
    }

    /**
     * Whether {@code update} is the one {@code siteId} already sent this round, again (the site did not get our
     * receipt and resent the same bytes), to be answered as before. A different second update is refused, as is an
     * update trained from another model than the round's.
     */
    private boolean isResend(String siteId, IncomingUpdate update, boolean contentOk, String kind) {
        byte[] earlier = state.submitted.get(siteId);
        if (earlier != null) {
            if (contentOk && MessageDigest.isEqual(earlier, update.declaredSha256())) {
                return true;
            }
            throw UpdateRefusal.DUPLICATE.because("site '" + siteId + "' already submitted " + kind + " "
                    + Sha256.shortHex(earlier) + " for round " + state.round
                    + "; one update per site and round, a retry must resend the same bytes");
        }
        if (update.baseModelVersion() != state.global.version()) {
            throw UpdateRefusal.STALE_BASE_MODEL.because("update was trained from model version "
                    + update.baseModelVersion() + " but round " + state.round + " trains from version "
                    + state.global.version() + "; ask for the next task and train from that model");
        }
        return false;
    }

    private void requireParticipantOfOpenRound(String siteId, int updateRound) {
        state.requireJoined(siteId);
        int round = state.round;
        String phase = state.phase.name().toLowerCase();
        if (state.phase != Phase.TRAINING || updateRound != round) {
            throw UpdateRefusal.ROUND_CLOSED.because(updateRound < round || updateRound == round
                    ? "round " + updateRound + " is closed (the coordinator is at round " + round + ", " + phase
                    + "); the update came too late and was not counted. Ask for the next task: " + (round < state.lastRound
                    ? "the site takes part in the next round" : state.takesPartAfter(round, plan.siteEvaluation()))
                    : "round " + updateRound + " is not open for updates (current round " + round + ", " + phase
                    + "); ask for the next task");
        }
        if (!state.participants.contains(siteId)) {
            throw UpdateRefusal.NOT_PARTICIPANT.because("site '" + siteId
                    + "' is not a participant of round " + round + "; " + state.takesPartAfter(round,
                    plan.siteEvaluation()));
        }
    }
}
