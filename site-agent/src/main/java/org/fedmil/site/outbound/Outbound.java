package org.fedmil.site.outbound;

import com.google.protobuf.ByteString;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.fedmil.audit.PrivacyClaim;
import org.fedmil.mil.eval.ValidationMetrics;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;

/**
 * A delta on its way out of the site, as each {@link OutboundFilter} leaves it: trained, then noised (DP), encoded
 * (compression), perhaps masked (secure aggregation), and signed. A filter returns a new value; none changes one.
 *
 * @param federationId the federation the delta is released to (its privacy ledger entry names it)
 * @param round        the round it answers
 * @param baseVersion  the global model it was trained from, and that model's SHA-256
 * @param release      what the round asks of the release: DP parameters and the delta encoding
 * @param delta        the delta in float32 (after DP, the noised one)
 * @param privacy      what the site states about the noise applied; empty before DP or without it
 * @param wire         what will be sent: the encoded delta (a float32 one encoded as it is sent), or the masked
 *                     input; null before compression
 * @param encoding     how {@code wire} encodes {@code delta}
 * @param maskedFractionalBits for a masked input, its fixed point; empty otherwise
 * @param signature    the site's signature over the update statement; null until signed
 * @param validation   the base model on the site's validation bags, measured before training; empty without them
 */
public record Outbound(String federationId, int round, long baseVersion, byte[] baseSha256, Release release,
                       TensorSet delta, long trainingBags, double trainLoss, Optional<PrivacyClaim> privacy,
                       WireBytes wire, DeltaEncoding encoding, OptionalInt maskedFractionalBits, byte[] signature,
                       Optional<ValidationMetrics> validation) {

    /**
     * What the federation asks of a release: Gaussian noise (clip norm, noise multiplier) and an encoding; with
     * {@code distributed} the site adds only its share of the noise, in secure aggregation's mask step; with
     * {@code dpSgd} present the noise was added per step inside training (patient-level DP-SGD) and not again to
     * the delta.
     */
    public record Release(OptionalDouble clipNorm, OptionalDouble noiseMultiplier, DeltaEncoding encoding,
                          boolean distributed, Optional<PerBag> dpSgd,
                          Optional<org.fedmil.mil.train.DpFedSgd> dpFedSgd) {

        /**
         * Site-level DP (distributed or not) or patient-level DP-SGD; with {@code dpFedSgd} present the round runs
         * DP-FedSGD instead: the site sends its noised integer gradient share, masked, and trains nothing.
         */
        public Release(OptionalDouble clipNorm, OptionalDouble noiseMultiplier, DeltaEncoding encoding,
                       boolean distributed, Optional<PerBag> dpSgd) {
            this(clipNorm, noiseMultiplier, encoding, distributed, dpSgd, Optional.empty());
        }

        /** Site-level DP or none: the site noises its own delta. */
        public Release(OptionalDouble clipNorm, OptionalDouble noiseMultiplier, DeltaEncoding encoding) {
            this(clipNorm, noiseMultiplier, encoding, false, Optional.empty());
        }

        /** Site-level DP, distributed under secure aggregation or not. */
        public Release(OptionalDouble clipNorm, OptionalDouble noiseMultiplier, DeltaEncoding encoding,
                       boolean distributed) {
            this(clipNorm, noiseMultiplier, encoding, distributed, Optional.empty());
        }

        /** Site-level DP (empty) or patient-level DP-SGD. */
        public Release(OptionalDouble clipNorm, OptionalDouble noiseMultiplier, DeltaEncoding encoding,
                       Optional<PerBag> dpSgd) {
            this(clipNorm, noiseMultiplier, encoding, false, dpSgd);
        }

        /** Patient-level DP-SGD: the bag sampling rate q and the steps one round's training takes. */
        public record PerBag(double samplingRate, int steps) {
        }

        public static Release of(org.fedmil.proto.v1.TrainingConfig c) {
            Optional<PerBag> perBag = Optional.empty();
            if (c.hasDp() && c.getDp().getMode() == org.fedmil.proto.v1.DpMode.DP_SGD_PER_BAG) {
                org.fedmil.mil.train.DpSgd dp = dpSgdOf(c);
                perBag = Optional.of(new PerBag(dp.samplingRate(), dp.steps(Math.max(1, c.getLocalEpochs()))));
            }
            Optional<org.fedmil.mil.train.DpFedSgd> fedSgd = Optional.empty();
            if (c.hasDp() && c.getDp().getMode() == org.fedmil.proto.v1.DpMode.DP_FEDSGD) {
                fedSgd = Optional.of(new org.fedmil.mil.train.DpFedSgd(c.getDp().getClipNorm(),
                        c.getDp().getNoiseMultiplier(), c.getDp().getSamplingRate(), c.getDp().getMinNoisedSites()));
            }
            return new Release(c.hasDp() ? OptionalDouble.of(c.getDp().getClipNorm()) : OptionalDouble.empty(),
                    c.hasDp() ? OptionalDouble.of(c.getDp().getNoiseMultiplier()) : OptionalDouble.empty(),
                    org.fedmil.protocol.Wire.encodingOf(c.getDeltaEncoding()),
                    c.hasDp() && c.getDp().getDistributed(), perBag, fedSgd);
        }

        /** The task's DP-SGD settings; the task must ask for patient-level DP. */
        public static org.fedmil.mil.train.DpSgd dpSgdOf(org.fedmil.proto.v1.TrainingConfig c) {
            return new org.fedmil.mil.train.DpSgd(c.getDp().getClipNorm(), c.getDp().getNoiseMultiplier(),
                    c.getDp().getSamplingRate());
        }

        public boolean dp() {
            return noiseMultiplier.isPresent();
        }
    }

    /** A freshly trained delta, before any filter. */
    public static Outbound trained(String federationId, int round, long baseVersion, byte[] baseSha256,
                                   Release release, TensorSet delta, long trainingBags, double trainLoss) {
        return new Outbound(federationId, round, baseVersion, baseSha256.clone(), release, delta, trainingBags,
                trainLoss, Optional.empty(), null, DeltaEncoding.FLOAT32, OptionalInt.empty(), null, Optional.empty());
    }

    /** This delta with the site's validation of its base model, which the header then carries. */
    public Outbound withValidation(Optional<ValidationMetrics> measured) {
        return new Outbound(federationId, round, baseVersion, baseSha256, release, delta, trainingBags, trainLoss,
                privacy, wire, encoding, maskedFractionalBits, signature, measured);
    }

    public List<TensorSpec> specs() {
        return delta.specs();
    }

    public Outbound noised(TensorSet noised, PrivacyClaim claim) {
        return new Outbound(federationId, round, baseVersion, baseSha256, release, noised, trainingBags, trainLoss,
                Optional.of(claim), null, DeltaEncoding.FLOAT32, OptionalInt.empty(), null, validation);
    }

    public Outbound encoded(DeltaEncoding as, byte[] encoded) {
        return new Outbound(federationId, round, baseVersion, baseSha256, release, delta, trainingBags, trainLoss,
                privacy, WireBytes.of(encoded), as, OptionalInt.empty(), null, validation);
    }

    /** This delta to be sent in float32, its bytes encoded from it as they are sent. */
    public Outbound encodedAsFloat32() {
        return new Outbound(federationId, round, baseVersion, baseSha256, release, delta, trainingBags, trainLoss,
                privacy, WireBytes.float32(delta), DeltaEncoding.FLOAT32, OptionalInt.empty(), null, validation);
    }

    public Outbound masked(byte[] masked, int fractionalBits) {
        return new Outbound(federationId, round, baseVersion, baseSha256, release, delta, trainingBags, trainLoss,
                privacy, WireBytes.of(masked), encoding, OptionalInt.of(fractionalBits), null, validation);
    }

    /**
     * What will be sent, in one array; null before compression. For a float32 delta this encodes it anew (a whole
     * copy): the upload reads {@link #wire} a chunk at a time instead.
     */
    public byte[] bytes() {
        return wire == null ? null : wire.array();
    }

    /** This masked delta with what the site states about the distributed DP noise it added while masking. */
    public Outbound withPrivacy(PrivacyClaim claim) {
        return new Outbound(federationId, round, baseVersion, baseSha256, release, delta, trainingBags, trainLoss,
                Optional.of(claim), wire, encoding, maskedFractionalBits, signature, validation);
    }

    public Outbound signed(byte[] sig) {
        return new Outbound(federationId, round, baseVersion, baseSha256, release, delta, trainingBags, trainLoss,
                privacy, wire, encoding, maskedFractionalBits, sig.clone(), validation);
    }

    /** Whether this is a secure-aggregation masked input. */
    public boolean isMasked() {
        return maskedFractionalBits.isPresent();
    }

    /**
     * The upload's header: what {@link #wire} holds, their hash and size, and (once signed) the site's signature.
     *
     * @throws IllegalStateException before the delta was encoded
     */
    public UpdateHeader header() {
        if (wire == null) {
            throw new IllegalStateException("round " + round + "'s delta has not been encoded yet; the compression "
                    + "filter comes before anything that needs the bytes to send");
        }
        if (release.dpFedSgd().isPresent() && (!isMasked() || privacy.isEmpty())) {
            throw new org.fedmil.site.policy.PolicyViolation("training.dp.mode", "round " + round + " asks for "
                    + "DP-FedSGD, whose share is noised and masked only in secure aggregation's mask step; this "
                    + "update was not, so it is not sent. The coordinator must run the round with "
                    + "secure_aggregation: true");
        }
        if (release.distributed() && (!isMasked() || privacy.isEmpty())) {
            // the delta is only clipped: without the noise and masks of secure aggregation it would leave bare
            throw new org.fedmil.site.policy.PolicyViolation("training.dp.distributed", "round " + round + " asks "
                    + "for distributed DP, whose noise is added only in secure aggregation's mask step; this delta "
                    + "was not masked and noised, so it is not sent. The coordinator must run the round with "
                    + "secure_aggregation: true");
        }
        UpdateHeader h = isMasked()
                ? UpdateHeaders.masked(round, baseVersion, baseSha256, specs(), wire,
                maskedFractionalBits.getAsInt(), trainingBags, trainLoss, privacy)
                : UpdateHeaders.plain(round, baseVersion, baseSha256, specs(), encoding, wire, trainingBags,
                trainLoss, privacy);
        if (validation.isPresent()) {
            h = h.toBuilder().setValidation(org.fedmil.protocol.ValidationWire.toProto(validation.get())).build();
        }
        return signature == null ? h : h.toBuilder().setSiteSignature(ByteString.copyFrom(signature)).build();
    }
}
