package org.fedmil.site.agent;

import java.io.PrintStream;
import java.util.Optional;
import org.fedmil.mil.encoder.EncoderException;
import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.proto.v1.JoinResponse;
import org.fedmil.protocol.FineTuneWire;
import org.fedmil.site.train.SiteTrainer;

/**
 * At join, for a federation that fine-tunes a pretrained encoder's block: the site's encoder file is loaded with that
 * block, so that a site whose file is another encoder, is not TorchScript or lacks the block, or that holds feature
 * bags instead of tiles, leaves at once with the reason instead of failing in the first round it was counted on.
 */
final class EncoderBlockCheck {

    private EncoderBlockCheck() {
    }

    /** @throws Unusable naming what is wrong and what to change */
    static void atJoin(SiteTrainer trainer, JoinResponse joined, PrintStream out) {
        FineTunedBlock block;
        try {
            block = FineTuneWire.fromProto(joined.getEncoderFineTune());
            trainer.useEncoderBlock(Optional.of(block));
        } catch (EncoderException | IllegalStateException | IllegalArgumentException e) {
            throw new Unusable("cannot fine-tune the federation's encoder block: " + e.getMessage());
        }
        out.printf("site %s: fine-tunes %s with the head on its tiles; the encoder changes every round, so no "
                + "feature cache is used%n", joined.getSiteId(), block.describe());
    }

    /** The site cannot train the federation's encoder block; a restart will not help until its config changes. */
    static final class Unusable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Unusable(String reason) {
            super(reason);
        }
    }
}
