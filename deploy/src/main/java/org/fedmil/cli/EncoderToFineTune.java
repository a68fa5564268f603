package org.fedmil.cli;

import ai.djl.Device;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import org.fedmil.mil.data.TileFormat;
import org.fedmil.mil.encoder.EncoderFineTuning;
import org.fedmil.mil.encoder.TileNormalisation;
import org.fedmil.mil.encoder.TrainableTorchScript;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelSpec;

/** {@code train-local}'s encoder options, checked together: the encoder whose last block trains with the head. */
record EncoderToFineTune(Path file, EncoderFineTuning fineTuning, TileFormat tiles, TileNormalisation normalisation,
                        Device device, int featureWidth, String sha256, String prefix, int trainable, long values,
                        int frozen) {

    /** Empty without {@code --encoder}; refuses the options that do not fit together, naming them. */
    static Optional<EncoderToFineTune> of(Path file, EncoderFineTuning fineTuning, TileFormat tiles, String normalise,
                                         Device device) {
        if (file == null) {
            if (fineTuning.enabled()) {
                throw new IllegalArgumentException("--encoder-fine-tune " + fineTuning.mode().configName()
                        + " needs --encoder FILE, the TorchScript encoder to fine-tune");
            }
            return Optional.empty();
        }
        if (!fineTuning.enabled()) {
            throw new IllegalArgumentException("--encoder " + file + " with --encoder-fine-tune none: a frozen "
                    + "encoder is run once by 'fedmil data features' and the head trained on the feature folder; "
                    + "give --encoder-fine-tune last_block to train its last block here");
        }
        if (tiles == null) {
            throw new IllegalArgumentException("--encoder-fine-tune last_block trains on tile folders: give "
                    + "--tile-size and --channels");
        }
        TileNormalisation n = TileNormalisation.parse(normalise);
        try (TrainableTorchScript probe = TrainableTorchScript.load(file, device, tiles, n, fineTuning)) {
            long values = probe.trainable().values().stream().mapToLong(p -> p.getArray().size()).sum();
            return Optional.of(new EncoderToFineTune(file, fineTuning, tiles, n, device, probe.featureWidth(),
                    probe.sha256(), probe.trainablePrefix(), probe.trainable().size(), values, probe.frozenCount()));
        }
    }

    /** A fresh model: the encoder as in its file, the head as {@code head} and {@code seed} make it. */
    MilModel model(ModelSpec head, long seed) {
        return MilModel.createFineTuning(head, TrainableTorchScript.load(file, device, tiles, normalisation,
                fineTuning), seed);
    }

    String describe() {
        return String.format(Locale.ROOT, "fine-tuning block '%s' (%d parameter tensors, %,d values) of encoder %s "
                + "(SHA-256 %s, %d features per tile) with the head; its other %d parameter tensors stay frozen",
                prefix, trainable, values, file, sha256, featureWidth, frozen);
    }
}
