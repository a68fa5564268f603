package org.fedmil.protocol;

import java.util.Optional;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.mil.encoder.TileNormalisation;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.proto.v1.EncoderFineTune;

/** A fine-tuned encoder block ({@link FineTunedBlock}) on the wire: the ModelSpec's and JoinResponse's field. */
public final class FineTuneWire {

    private FineTuneWire() {
    }

    public static EncoderFineTune toProto(FineTunedBlock block) {
        return EncoderFineTune.newBuilder()
                .setEncoderSha256(block.encoderSha256())
                .setTrainablePrefix(block.trainablePrefix())
                .setTileSize(block.tiles().size())
                .setChannels(block.tiles().channels())
                .setNormalise(block.normalisation().configName())
                .build();
    }

    /** The spec as sites receive it: {@link Wire#toProto(ModelSpec)} with the block, when there is one. */
    public static org.fedmil.proto.v1.ModelSpec toProto(ModelSpec spec, Optional<FineTunedBlock> block) {
        org.fedmil.proto.v1.ModelSpec s = Wire.toProto(spec);
        return block.map(b -> s.toBuilder().setEncoderFineTune(toProto(b)).build()).orElse(s);
    }

    /** @throws IllegalArgumentException when the block's fields are unusable */
    public static FineTunedBlock fromProto(EncoderFineTune f) {
        return new FineTunedBlock(f.getEncoderSha256(), f.getTrainablePrefix(),
                new TileFormat(f.getChannels(), f.getTileSize()), TileNormalisation.parse(f.getNormalise()));
    }

    /** The block a ModelSpec carries; empty when its encoder is not fine-tuned. */
    public static Optional<FineTunedBlock> of(org.fedmil.proto.v1.ModelSpec spec) {
        return spec.hasEncoderFineTune() ? Optional.of(fromProto(spec.getEncoderFineTune())) : Optional.empty();
    }
}
