package org.fedmil.coordinator.round;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.fedmil.secagg.EncryptedShare;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.MaskedInput;
import org.fedmil.secagg.SecAggException;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.secagg.SecAggResult;
import org.fedmil.secagg.SecAggServer;
import org.fedmil.secagg.ShareBundle;
import org.fedmil.secagg.SurvivorSetSignature;
import org.fedmil.secagg.UnmaskRequest;
import org.fedmil.secagg.UnmaskResponse;

/**
 * The coordinator's steps of one securely aggregated round (docs/secure-aggregation.md): who is asked what in each
 * step, who answered, and when a step may close. Wraps the network-free {@link SecAggServer}; the
 * {@link SecureAggregationDriver} calls it on the run's event thread, and {@link #finish} on the round-closing thread
 * once the last step has closed (the event thread no longer touches it then).
 */
final class SecureRound {

    enum Step { ADVERTISE, SHARE, MASK, CONSISTENCY, UNMASK, FINISHING }

    /**
     * Coordinates of a DP-noised delta are clamped at clip_norm · (1 + this · noise_multiplier): the noise exceeds
     * 10 standard deviations with probability about 1.5e-23 per coordinate, and clamping is post-processing anyway.
     */
    static final double NOISE_SIGMAS = 10;

    private final SecAggServer server;
    private Step step = Step.ADVERTISE;
    /** The sites asked in the current step. */
    private final Set<String> expected = new LinkedHashSet<>();
    private final Set<String> answered = new LinkedHashSet<>();
    private List<KeyAdvertisement> roster = List.of();
    private Map<String, List<EncryptedShare>> routed = Map.of();
    private UnmaskRequest request;

    /** DP-FedSGD's release rule and step, when the federation runs it; null otherwise. */
    private final DpFedSgdRound fedSgd;
    /** Masked shares that were in when a DP-FedSGD round's mask step closed. */
    private int maskedShares;

    SecureRound(SecAggParameters parameters, Collection<String> participants) {
        this(parameters, participants, null);
    }

    SecureRound(SecAggParameters parameters, Collection<String> participants, DpFedSgdRound fedSgd) {
        this.server = new SecAggServer(parameters);
        this.fedSgd = fedSgd;
        expected.addAll(participants);
    }

    /** A DP-FedSGD round's sum was not released: fewer than K_min shares arrived. Nothing was unmasked. */
    static final class ReleaseRefused extends SecAggException {
        final int shares;

        ReleaseRefused(String reason, int shares) {
            super(reason);
            this.shares = shares;
        }
    }

    /** DP-FedSGD's side of this round; null when the federation does not run it. */
    DpFedSgdRound fedSgd() {
        return fedSgd;
    }

    /** Shares in a DP-FedSGD round's sum, known once its mask step closed. */
    int maskedShares() {
        return maskedShares;
    }

    /**
     * This round's parameters: K the participants, t = max(min_updates, ⌊K/2⌋ + 1) (at most K), n_max the largest
     * weight a participant may give its delta (its declared bags clamped to the share cap, {@code weights}), B the
     * coordinate bound from the federation's norm bound (or its DP noise bound, when smaller), f the finest scale that
     * cannot overflow. Above the plan's {@link SecAggGraphPolicy#sparseAboveSites()} the round is SecAgg+: a graph
     * degree k and t per neighbourhood.
     *
     * @throws SecAggException when no scale of at least 16 bits fits, naming the bounds
     */
    static SecAggParameters parameters(FederationPlan plan, int round, Collection<Long> weights, long length) {
        int k = weights.size();
        int t = Math.min(k, Math.max(plan.rules().minUpdates(), k / 2 + 1));
        long maxBags = 1;
        for (long w : weights) {
            maxBags = Math.max(maxBags, w);
        }
        double bound = plan.rules().maxUpdateL2Norm();
        var dp = plan.training().requiredDp();
        if (dp.isPresent() && dp.get().fedSgd()) {
            // the shares are integers on DP-FedSGD's grid, masked as they are: the fixed point below goes unused
            // (f is still agreed, and checked on every upload, so that a site of another mode cannot slip in)
            return plan.secAggGraph().apply(SecAggParameters.choose(plan.federationId(), round, k, t,
                    checkedLength(length), maxBags, 1.0));
        }
        if (dp.isPresent() && dp.get().distributed()) {
            // the noise of every site is added in the ring: B = C·(1 + 10z) keeps room for it beside the sum
            double c = dp.get().clipNorm();
            return plan.secAggGraph().apply(SecAggParameters.chooseForDistributedNoise(plan.federationId(), round, k,
                    t, checkedLength(length), maxBags, c * (1 + NOISE_SIGMAS * dp.get().noiseMultiplier()), c));
        }
        // site-level DP bounds the sent delta by C plus its noise; under DP-SGD per bag the delta has no such bound
        if (dp.isPresent() && !dp.get().perBag()) {
            bound = Math.min(bound, dp.get().clipNorm() * (1 + NOISE_SIGMAS * dp.get().noiseMultiplier()));
        }
        return plan.secAggGraph().apply(
                SecAggParameters.choose(plan.federationId(), round, k, t, checkedLength(length), maxBags, bound));
    }

    private static int checkedLength(long length) {
        if (length > Integer.MAX_VALUE) {
            throw new SecAggException("the model has " + length + " coordinates, more than secure aggregation "
                    + "handles in one vector (" + Integer.MAX_VALUE + ")");
        }
        return (int) length;
    }

    SecAggParameters parameters() {
        return server.parameters();
    }

    Step step() {
        return step;
    }

    /** What this site must do in the current step, or null when it has nothing to do (it waits). */
    Task taskFor(String site, Task.Train train) {
        if (!expected.contains(site) || answered.contains(site)) {
            return null;
        }
        return switch (step) {
            case ADVERTISE -> new Task.SecAggAdvertise(parameters());
            case SHARE -> new Task.SecAggShare(parameters().round(), roster);
            case MASK -> new Task.SecAggMask(train, parameters(), routed.get(site));
            case CONSISTENCY -> new Task.SecAggConsistency(parameters().round(), request);
            case UNMASK -> new Task.SecAggUnmask(parameters().round(), request, server.survivorSignaturesFor(site));
            case FINISHING -> null;
        };
    }

    String waitReason() {
        return "secure aggregation step " + step.name().toLowerCase() + ": " + answered.size() + " of "
                + expected.size() + " sites answered";
    }

    int answeredCount() {
        return answered.size();
    }

    boolean stepComplete() {
        return answered.containsAll(expected);
    }

    /**
     * Answers of step 0, 1, the consistency round and step 3. A repeat of an answer already taken changes nothing
     * (a retried call).
     */
    void advertised(String site, KeyAdvertisement a) {
        if (answer(site, Step.ADVERTISE)) {
            server.receive(a);
        }
    }

    void shared(String site, ShareBundle b) {
        if (answer(site, Step.SHARE)) {
            server.receive(b);
        }
    }

    void signed(String site, SurvivorSetSignature s) {
        if (answer(site, Step.CONSISTENCY)) {
            server.receive(s);
        }
    }

    void unmasked(String site, UnmaskResponse r) {
        if (answer(site, Step.UNMASK)) {
            server.receive(r);
        }
    }

    /** Checks a masked upload can be taken now, before its bytes are read. */
    void requireMaskStep(String site) {
        requireStep(site, Step.MASK);
    }

    void masked(String site, MaskedInput m) {
        requireStep(site, Step.MASK);
        server.receive(m);
        answered.add(site);
    }

    /** A participant left the federation: it is no longer waited for. */
    void siteLeft(String site) {
        expected.remove(site);
    }

    /**
     * Closes the current step with the answers in and opens the next one.
     *
     * @throws SecAggException when fewer than t answered: the round is aborted, nothing aggregated
     */
    void closeStep() {
        switch (step) {
            case ADVERTISE -> {
                roster = server.closeAdvertising();
                next(Step.SHARE, roster.stream().map(KeyAdvertisement::site).toList());
            }
            case SHARE -> {
                routed = server.closeSharing();
                next(Step.MASK, routed.keySet());
            }
            case MASK -> {
                String refusal = fedSgd == null ? null : fedSgd.refusal(parameters().round(), answered.size());
                if (refusal != null) {
                    // before closeMasking: no site is asked for the shares that would unmask a sum of too few
                    server.abort();
                    throw new ReleaseRefused(refusal, answered.size());
                }
                maskedShares = answered.size();
                request = server.closeMasking();
                next(Step.CONSISTENCY, request.survivors());
            }
            case CONSISTENCY -> next(Step.UNMASK, readyToUnmask());
            case UNMASK -> {
                if (server.unmasked().size() < parameters().threshold()) {
                    server.abort();
                    throw new SecAggException("round " + parameters().round() + ": only " + server.unmasked().size()
                            + " survivors sent unmasking shares, fewer than the threshold t=" + parameters().threshold()
                            + "; aborting the secure aggregation, nothing is aggregated");
                }
                step = Step.FINISHING;
            }
            case FINISHING -> throw new IllegalStateException("secure aggregation of round "
                    + parameters().round() + " has no step left to close");
        }
    }

    /**
     * The signers that hold a quorum of signatures from the holders of their shares: only they can unmask, since
     * an honest site refuses with fewer (and one that did not sign refuses in any case).
     *
     * @throws SecAggException when fewer than t of them remain: nothing is revealed
     */
    private List<String> readyToUnmask() {
        List<String> ready = new ArrayList<>();
        List<String> lacking = new ArrayList<>();
        for (SurvivorSetSignature s : server.survivorSignatures()) {
            (server.consistencyQuorumMet(s.site()) ? ready : lacking).add(s.site());
        }
        if (ready.size() < parameters().threshold()) {
            server.abort();
            throw new SecAggException("round " + parameters().round() + ": the consistency round closed with "
                    + server.survivorSignatures().size() + " of " + request.survivors().size() + " survivors' "
                    + "signatures over the survivor set, and only " + ready.size() + " sites hold the quorum of "
                    + "signatures they need before unmasking"
                    + (lacking.isEmpty() ? "" : " (short of it: " + lacking + ")")
                    + ", fewer than the threshold t=" + parameters().threshold() + "; aborting the secure "
                    + "aggregation, nothing is revealed or aggregated");
        }
        return ready;
    }

    /** The survivor-set signatures of the consistency round, for the round log. */
    List<SurvivorSetSignature> survivorSignatures() {
        return server.survivorSignatures();
    }

    /** The round's communication graph, once the key roster is closed. */
    org.fedmil.secagg.CommunicationGraph graph() {
        return server.graph();
    }

    /** Sites in the key roster (those that advertised keys): the n of the collusion bound. */
    int rosterSize() {
        return roster.size();
    }

    /** What each site revealed in the unmask step. */
    List<org.fedmil.secagg.UnmaskReveal> reveals() {
        return server.reveals();
    }

    /** Rebuilds the secrets and unmasks the sum; on the round-closing thread, after the last step closed. */
    SecAggResult finish() {
        if (step != Step.FINISHING) {
            throw new IllegalStateException("secure aggregation of round " + parameters().round() + " is at step "
                    + step + ", not finished");
        }
        return server.finish();
    }

    private void next(Step s, Collection<String> asked) {
        step = s;
        List<String> keep = new ArrayList<>(asked);
        keep.retainAll(expected); // a site that left is not waited for again
        expected.clear();
        expected.addAll(keep);
        answered.clear();
    }

    private boolean answer(String site, Step s) {
        requireStep(site, s);
        return answered.add(site);
    }

    private void requireStep(String site, Step s) {
        if (step != s) {
            throw new FederationException(Status.Code.FAILED_PRECONDITION, "the secure aggregation of round "
                    + parameters().round() + " is at step " + step.name().toLowerCase() + ", not "
                    + s.name().toLowerCase() + "; ask for the next task");
        }
        if (!expected.contains(site)) {
            throw new FederationException(Status.Code.FAILED_PRECONDITION, "site '" + site + "' is not asked in "
                    + "step " + s.name().toLowerCase() + " of round " + parameters().round() + "'s secure aggregation"
                    + " (it dropped out of this round); it takes part again in the next round, if one follows");
        }
    }
}
