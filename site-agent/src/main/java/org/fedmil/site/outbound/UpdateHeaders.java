package org.fedmil.site.outbound;

import com.google.protobuf.ByteString;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.fedmil.audit.PrivacyClaim;
import org.fedmil.audit.Signatures;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorSpec;

/**
 * The unsigned header of an upload, built in one place for the agent's filters and for {@code CoordinatorClient}'s
 * own upload calls: its hash and size, which the site signs and its egress log records, are of exactly the bytes sent.
 */
public final class UpdateHeaders {

    private UpdateHeaders() {
    }

    /** A plain (float32 or compressed) delta. */
    public static UpdateHeader plain(int round, long baseVersion, byte[] baseSha256, List<TensorSpec> specs,
                                     DeltaEncoding encoding, byte[] bytes, long trainingBags, double trainLoss,
                                     Optional<PrivacyClaim> privacy) {
        return plain(round, baseVersion, baseSha256, specs, encoding, WireBytes.of(bytes), trainingBags, trainLoss,
                privacy);
    }

    /** As above, for bytes read a piece at a time. */
    public static UpdateHeader plain(int round, long baseVersion, byte[] baseSha256, List<TensorSpec> specs,
                                     DeltaEncoding encoding, WireBytes bytes, long trainingBags, double trainLoss,
                                     Optional<PrivacyClaim> privacy) {
        return common(round, baseVersion, baseSha256, specs, bytes, trainingBags, trainLoss, privacy)
                .setEncoding(Wire.toProto(encoding)).build();
    }

    /** A securely aggregated round's masked input: one little-endian int64 per coordinate. */
    public static UpdateHeader masked(int round, long baseVersion, byte[] baseSha256, List<TensorSpec> specs,
                                      byte[] masked, int fractionalBits, long trainingBags, double trainLoss,
                                      Optional<PrivacyClaim> privacy) {
        return masked(round, baseVersion, baseSha256, specs, WireBytes.of(masked), fractionalBits, trainingBags,
                trainLoss, privacy);
    }

    /** As above, for bytes read a piece at a time. */
    public static UpdateHeader masked(int round, long baseVersion, byte[] baseSha256, List<TensorSpec> specs,
                                      WireBytes masked, int fractionalBits, long trainingBags, double trainLoss,
                                      Optional<PrivacyClaim> privacy) {
        return common(round, baseVersion, baseSha256, specs, masked, trainingBags, trainLoss, privacy)
                .setSecureAggregation(org.fedmil.proto.v1.SecAggUpload.newBuilder().setFractionalBits(fractionalBits))
                .build();
    }

    private static UpdateHeader.Builder common(int round, long baseVersion, byte[] baseSha256,
                                               List<TensorSpec> specs, WireBytes bytes, long trainingBags,
                                               double trainLoss, Optional<PrivacyClaim> privacy) {
        UpdateHeader.Builder header = UpdateHeader.newBuilder()
                .setRound(round)
                .setBaseModelVersion(baseVersion)
                .setBaseModelSha256(ByteString.copyFrom(baseSha256))
                .setDeltaSha256(ByteString.copyFrom(bytes.sha256()))
                .setNumTrainingBags(trainingBags)
                .setTrainLoss(trainLoss)
                .addAllTensors(Wire.toProto(specs))
                .setTotalBytes(bytes.size());
        privacy.ifPresent(p -> header.setPrivacy(org.fedmil.proto.v1.PrivacyClaim.newBuilder()
                .setClipNorm(p.clipNorm()).setNoiseMultiplier(p.noiseMultiplier()).setSamplingRate(p.samplingRate())
                .setDelta(p.delta()).setEpsilonSpent(p.epsilonSpent())));
        return header;
    }

    /**
     * The site's signature over the update statement of {@code header} (its federation, site name, round, base model,
     * the hash and size of the bytes and the privacy applied), made with the key of the site's TLS certificate; the
     * coordinator checks it before it accepts the update.
     */
    public static byte[] signature(UpdateHeader header, PrivateKey key, String federationId, String site) {
        return Base64.getDecoder().decode(
                Signatures.sign(key, Wire.updateStatement(header, federationId, site).canonicalBytes()));
    }
}
