package org.fedmil.coordinator.round;

import org.fedmil.mil.data.LabelCounts;

/** What the federation tells one site to do next; the service maps it onto the protocol's Task message. */
public sealed interface Task {

    /**
     * @param federationLabels the bags of the round's participants as declared at join, summed: what sites weigh
     *                         classes by when the federation's class weighting is "federation"
     */
    record Train(int round, GlobalModel model, LabelCounts federationLabels) implements Task {
    }

    /** A pretraining round: train the encoder self-supervised, upload its delta alone (see {@link PretrainingPlan}). */
    record Pretrain(int round, GlobalModel model) implements Task {
    }

    record Evaluate(GlobalModel model) implements Task {
    }

    record Wait(int retryAfterMs, String reason) implements Task {
    }

    record Stop(String reason) implements Task {
    }

    /** Secure aggregation, step 0: advertise fresh keys for this round. */
    record SecAggAdvertise(org.fedmil.secagg.SecAggParameters parameters) implements Task {
    }

    /** Step 1: share the masking key and self-mask seed with every site of the roster. */
    record SecAggShare(int round, java.util.List<org.fedmil.secagg.KeyAdvertisement> roster) implements Task {
    }

    /**
     * Step 2: train, then upload the masked delta; {@code shares} are the ciphertexts addressed to this site,
     * {@code weight} the most its delta may weigh (declared bags clamped to the round's share cap), 0 when not set.
     */
    record SecAggMask(Train train, org.fedmil.secagg.SecAggParameters parameters,
                      java.util.List<org.fedmil.secagg.EncryptedShare> shares, long weight) implements Task {

        public SecAggMask(Train train, org.fedmil.secagg.SecAggParameters parameters,
                          java.util.List<org.fedmil.secagg.EncryptedShare> shares) {
            this(train, parameters, shares, 0);
        }

        public SecAggMask withWeight(long w) {
            return new SecAggMask(train, parameters, shares, w);
        }
    }

    /** The consistency round, between steps 2 and 3: sign the survivor set of {@code request}. */
    record SecAggConsistency(int round, org.fedmil.secagg.UnmaskRequest request) implements Task {
    }

    /**
     * Step 3: reveal the shares that unmask the sum, once {@code signatures} (those of the holders of this site's
     * shares, from the consistency round) check.
     */
    record SecAggUnmask(int round, org.fedmil.secagg.UnmaskRequest request,
                        java.util.List<org.fedmil.secagg.SurvivorSetSignature> signatures) implements Task {

        public SecAggUnmask {
            signatures = java.util.List.copyOf(signatures);
        }
    }
}
