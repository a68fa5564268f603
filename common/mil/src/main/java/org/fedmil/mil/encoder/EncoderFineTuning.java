package org.fedmil.mil.encoder;

import java.util.Locale;
import java.util.Optional;

/**
 * Whether a pretrained encoder stays frozen (its features cached, only the MIL head trains) or its last block
 * trains with the head on tiles.
 *
 * @param mode            {@link Mode#NONE} or {@link Mode#LAST_BLOCK}
 * @param trainablePrefix the parameter-name prefix of the block that trains (e.g. {@code layer4.}); empty: the
 *                        last top-level child of the encoder that has parameters
 */
public record EncoderFineTuning(Mode mode, Optional<String> trainablePrefix) {

    /** The config key of {@link #mode}, named in errors. */
    public static final String MODE_KEY = "encoder_fine_tune";
    /** The config key of {@link #trainablePrefix}, named in errors. */
    public static final String PREFIX_KEY = "encoder_trainable_prefix";

    public static final EncoderFineTuning NONE = new EncoderFineTuning(Mode.NONE, Optional.empty());

    public enum Mode {
        /** Frozen: features are computed once and cached; only the MIL head trains. */
        NONE,
        /** The encoder's last block trains jointly with the MIL head, on tiles, every round. */
        LAST_BLOCK;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    public EncoderFineTuning {
        trainablePrefix = trainablePrefix.map(String::strip).filter(p -> !p.isEmpty());
        if (mode == Mode.NONE && trainablePrefix.isPresent()) {
            throw new IllegalArgumentException(PREFIX_KEY + " '" + trainablePrefix.get() + "' is set but "
                    + MODE_KEY + " is none: set " + MODE_KEY + ": last_block to fine-tune that block, or remove "
                    + PREFIX_KEY);
        }
    }

    /** Parses the two config values; null or blank means the default (none; the last top-level child). */
    public static EncoderFineTuning parse(String mode, String trainablePrefix) {
        String m = mode == null || mode.isBlank() ? "none" : mode.strip().toLowerCase(Locale.ROOT);
        Mode parsed = switch (m) {
            case "none" -> Mode.NONE;
            case "last_block" -> Mode.LAST_BLOCK;
            default -> throw new IllegalArgumentException(MODE_KEY + " must be none (the encoder stays frozen, its "
                    + "features cached) or last_block (its last block trains with the MIL head), got '" + mode + "'");
        };
        return new EncoderFineTuning(parsed, Optional.ofNullable(trainablePrefix));
    }

    public boolean enabled() {
        return mode == Mode.LAST_BLOCK;
    }
}
