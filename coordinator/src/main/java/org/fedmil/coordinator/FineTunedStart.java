package org.fedmil.coordinator;

import ai.djl.Device;
import java.nio.file.Path;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.config.EncoderFineTuneSection;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.encoder.EncoderException;
import org.fedmil.mil.encoder.EncoderFineTuning;
import org.fedmil.mil.encoder.FineTunedBlock;
import org.fedmil.mil.encoder.TrainableTorchScript;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.TensorSet;

/**
 * A federation that fine-tunes a pretrained encoder's last block, as the coordinator starts it: the encoder is
 * loaded once (a file that is not TorchScript, or has no such block, stops the start here with the file named),
 * the block's prefix is resolved so that every site trains the same one, the head's input width is the encoder's
 * feature width, and the starting weights are the block's values in the file plus the head drawn from the seed.
 * The held-out set is read as tiles and scored through the encoder with the round's block, since features cached
 * from the original encoder would score a model other than the one trained.
 *
 * @param model the model the held-out set is scored with; the caller owns it and closes it
 */
record FineTunedStart(FineTunedBlock block, ModelSpec head, BagDataset heldOut, TensorSet initialWeights,
                      MilModel model) {

    /** @throws ConfigException naming the encoder file and the key to change */
    static FineTunedStart of(CoordinatorConfig config, Device device, long seed) {
        EncoderFineTuneSection f = config.encoderFineTune();
        Path file = f.encoderFile().orElseThrow();
        TrainableTorchScript encoder;
        try {
            encoder = TrainableTorchScript.load(file, device, f.tiles(), f.normalisation(), f.fineTuning());
        } catch (EncoderException e) {
            // the loader names its keys as train-local's options do; here they are this section's
            throw new ConfigException("encoder_fine_tune.encoder: " + e.getMessage()
                    .replace(EncoderFineTuning.MODE_KEY, "encoder_fine_tune.mode")
                    .replace(EncoderFineTuning.PREFIX_KEY, "encoder_fine_tune.trainable_prefix"));
        }
        FineTunedBlock block = new FineTunedBlock(encoder.sha256(), encoder.trainablePrefix(), f.tiles(),
                f.normalisation());
        ModelSpec head;
        try {
            head = config.model().specForData(encoder.featureWidth(), file);
        } catch (IllegalArgumentException e) {
            encoder.close();
            throw new ConfigException("model.input_dim: " + e.getMessage().replace("the held-out set",
                    "the encoder").replace("features per instance", "features per tile"));
        }
        MilModel model = MilModel.createFineTuning(head, encoder, seed);
        try {
            BagDataset heldOut = block.readingSpec(head).open(config.heldoutDir());
            return new FineTunedStart(block, head, heldOut, model.weights(), model);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
    }
}
