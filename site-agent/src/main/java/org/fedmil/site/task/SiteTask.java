package org.fedmil.site.task;

import java.util.List;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.secagg.EncryptedShare;
import org.fedmil.secagg.KeyAdvertisement;
import org.fedmil.secagg.SecAggParameters;
import org.fedmil.secagg.UnmaskRequest;

/**
 * What the coordinator asks of this site, as the agent's executors see it. {@link TaskConverter} makes these from
 * the wire's {@code Task}, in one place, so that executors never read protobuf task messages. (The federation's
 * {@link TrainingConfig} travels as it came: it is the round's settings, not a task, and the policy checks it whole.)
 */
public sealed interface SiteTask {

    /**
     * The global model a task names: version, the SHA-256 its bytes must have, its architecture, and the pretrained
     * encoder block that trains with it (empty when the model is its spec alone).
     */
    record GlobalModel(long version, byte[] sha256, ModelSpec spec,
                       java.util.Optional<org.fedmil.mil.encoder.FineTunedBlock> encoderBlock) {
        public GlobalModel {
            sha256 = sha256.clone();
            java.util.Objects.requireNonNull(encoderBlock, "encoderBlock");
        }

        /** A model of its spec alone. */
        public GlobalModel(long version, byte[] sha256, ModelSpec spec) {
            this(version, sha256, spec, java.util.Optional.empty());
        }

        @Override
        public byte[] sha256() {
            return sha256.clone();
        }
    }

    /** Train {@code model} locally for {@code round} and send the delta. */
    record Train(int round, GlobalModel model, TrainingConfig config) implements SiteTask {
    }

    /** Pretrain the encoder of {@code model} self-supervised and send the encoder's delta. */
    record Pretrain(int round, GlobalModel model, TrainingConfig config) implements SiteTask {
    }

    /** Evaluate {@code model} on the local bags and report aggregate metrics. */
    record Evaluate(GlobalModel model) implements SiteTask {
    }

    /** Secure aggregation, step 0: make and advertise this round's keys. */
    record SecAggAdvertise(SecAggParameters parameters) implements SiteTask {
    }

    /** Secure aggregation, step 1: share this site's secrets with every site of the roster. */
    record SecAggShare(int round, List<KeyAdvertisement> roster) implements SiteTask {
        public SecAggShare {
            roster = List.copyOf(roster);
        }
    }

    /**
     * Secure aggregation, step 2: take the shares addressed to this site, train, and send the masked delta, weighed
     * by at most {@code weight} (the coordinator's share cap; 0 from an older coordinator: by the site's own bags).
     */
    record SecAggMask(Train train, List<EncryptedShare> shares, long weight) implements SiteTask {
        public SecAggMask {
            shares = List.copyOf(shares);
        }

        public SecAggMask(Train train, List<EncryptedShare> shares) {
            this(train, shares, 0);
        }
    }

    /** Secure aggregation, the consistency round: sign the survivor set the coordinator tells this site. */
    record SecAggConsistency(int round, UnmaskRequest request) implements SiteTask {
    }

    /**
     * Secure aggregation, step 3: reveal the shares the coordinator needs to unmask the sum, once {@code signatures}
     * show a quorum of the holders of this site's shares signed the same survivor set as this site.
     */
    record SecAggUnmask(int round, UnmaskRequest request,
                        List<org.fedmil.secagg.SurvivorSetSignature> signatures) implements SiteTask {
        public SecAggUnmask {
            signatures = List.copyOf(signatures);
        }
    }

    /** Nothing to do yet: ask again after {@code retryAfterMs}; {@code paused} while the operator paused the run. */
    record Wait(long retryAfterMs, String reason, boolean paused) implements SiteTask {

        /** A wait that is not a pause. */
        public Wait(long retryAfterMs, String reason) {
            this(retryAfterMs, reason, false);
        }
    }

    /** The federation is over for this site. */
    record Stop(String reason) implements SiteTask {
    }
}
