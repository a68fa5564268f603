package org.fedmil.coordinator.config;

import static org.fedmil.coordinator.config.KeyCheck.check;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.config.ConfigException;
import org.fedmil.coordinator.aggregate.Capability;
import org.fedmil.coordinator.aggregate.ClippedStrategy;
import org.fedmil.coordinator.aggregate.Strategies;
import org.fedmil.coordinator.aggregate.Strategy;
import org.fedmil.coordinator.aggregate.StrategySettings;
import org.fedmil.coordinator.aggregate.StrategyType;
import org.fedmil.coordinator.config.CoordinatorConfig.Limits;
import org.fedmil.coordinator.config.CoordinatorConfig.Model;
import org.fedmil.coordinator.config.CoordinatorConfig.Training;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.Encoder;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LearningRateSchedule;
import org.fedmil.tensor.DeltaEncoding;

/**
 * Every range and combination check of a coordinator.yaml, one method per section, run once the file is read and
 * its paths resolved, so that a bad value is refused at start with the file and the key named, not in round 1.
 */
final class CoordinatorConfigValidation {

    private CoordinatorConfigValidation() {
    }

    static void validate(Path file, CoordinatorConfig c) {
        rounds(file, c);
        limits(file, c.limits());
        endpoints(file, c);
        Encoder encoder = model(file, c.model());
        training(file, c.training(), c.rounds());
        if (c.training().dp() != null) {
            DpValidation.validate(file, c);
        }
        pretraining(file, c.pretraining(), c.model(), encoder);
        evaluation(file, c.evaluation(), encoder);
        check(file, c.pseudoLabels().threshold() == 0
                        || (c.pseudoLabels().threshold() > 0.5 && c.pseudoLabels().threshold() <= 1),
                "pseudo_labels.threshold", c.pseudoLabels().threshold(), "0 (off) or a confidence in (0.5, 1], e.g. 0.9");
        Strategy built = strategy(file, c);
        if (c.secureAggregation()) {
            secureAggregation(file, c, built);
        }
        c.secureAggregationGraph().check(file);
    }

    private static void rounds(Path file, CoordinatorConfig c) {
        check(file, c.minSites() >= 1, "min_sites", c.minSites(), "at least 1");
        check(file, c.rounds() >= 1, "rounds", c.rounds(), "at least 1");
        check(file, c.earlyStopping().patience() >= 1, "early_stopping.patience", c.earlyStopping().patience(),
                "at least 1 validated model without improvement");
        check(file, c.earlyStopping().minRounds() >= 1, "early_stopping.min_rounds", c.earlyStopping().minRounds(),
                "at least 1");
        check(file, c.roundDeadlineSeconds() >= 0, "round_deadline_seconds", c.roundDeadlineSeconds(),
                "0 (no deadline: a round waits for every participant) or more seconds");
        check(file, c.minUpdates() >= 1 && c.minUpdates() <= c.minSites(), "min_updates", c.minUpdates(),
                "1.." + c.minSites() + " (at most min_sites, or no round could ever be aggregated)");
        check(file, c.onShortRound().equals("retry") || c.onShortRound().equals("skip"), "on_short_round", c.onShortRound(),
                "retry or skip");
        check(file, !c.federationId().isBlank(), "federation_id", c.federationId(), "a non-empty name");
    }

    private static void limits(Path file, Limits l) {
        check(file, l.maxUpdateL2Norm() > 0 && !Double.isNaN(l.maxUpdateL2Norm()),
                "limits.max_update_l2_norm", l.maxUpdateL2Norm(), "a positive number");
        check(file, l.maxUpdateBytes() >= 1 && l.maxUpdateBytes() <= Integer.MAX_VALUE - 8,
                "limits.max_update_bytes", l.maxUpdateBytes(), "1.." + (Integer.MAX_VALUE - 8));
        check(file, l.maxConcurrentCallsPerSite() >= 2, "limits.max_concurrent_calls_per_site",
                l.maxConcurrentCallsPerSite(), "at least 2 (a site's long poll plus one transfer)");
        check(file, l.handshakeTimeoutSeconds() >= 1 && l.handshakeTimeoutSeconds() <= 600,
                "limits.handshake_timeout_seconds", l.handshakeTimeoutSeconds(), "1..600 seconds");
        check(file, l.writeCallsPerSecond() >= 0 && Double.isFinite(l.writeCallsPerSecond()),
                "limits.write_calls_per_second", l.writeCallsPerSecond(), "0 (no limit) or more calls per second");
        check(file, l.writeCallBurst() >= 1, "limits.write_call_burst", l.writeCallBurst(), "at least 1");
    }

    private static void endpoints(Path file, CoordinatorConfig c) {
        check(file, c.listen().port() >= 0 && c.listen().port() <= 65535, "listen.port", c.listen().port(), "0..65535");
        check(file, c.dashboard().port() >= 0 && c.dashboard().port() <= 65535, "dashboard.port", c.dashboard().port(),
                "0..65535 (0 picks a free port)");
        check(file, !c.dashboard().host().isBlank(), "dashboard.host", c.dashboard().host(), "a host name or address");
    }

    /** @return the encoder the section names */
    private static Encoder model(Path file, Model m) {
        check(file, m.hiddenDim() >= 1, "model.hidden_dim", m.hiddenDim(), "at least 1");
        check(file, m.inputDim() >= 0, "model.input_dim", m.inputDim(),
                "a positive width (the features per instance of every site's bags), or absent to take the held-out set's");
        check(file, m.inputDim() == 0 || m.encoderKind() == Encoder.MLP, "model.input_dim", m.inputDim(),
                "absent for the cnn encoder (its input is channels × tile_size²)");
        check(file, m.attentionDim() >= 1, "model.attention_dim", m.attentionDim(), "at least 1");
        try {
            Architecture.fromConfigName(m.architecture());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": key 'model.architecture': " + e.getMessage());
        }
        Encoder encoder;
        try {
            encoder = m.encoderKind();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": key 'model.encoder': " + e.getMessage());
        }
        if (encoder == Encoder.CNN) {
            check(file, m.channels() == 1 || m.channels() == 3, "model.channels", m.channels(),
                    "1 (grey) or 3 (RGB) for the cnn encoder");
            check(file, m.tileSize() >= ModelSpec.MIN_TILE_SIZE && m.tileSize() <= 1024, "model.tile_size",
                    m.tileSize(), ModelSpec.MIN_TILE_SIZE + "..1024 pixels for the cnn encoder");
        } else {
            check(file, m.channels() == 0 && m.tileSize() == 0, "model.channels/model.tile_size",
                    m.channels() + "/" + m.tileSize(), "unset: they apply to encoder: cnn only");
        }
        check(file, m.featureEncoderSha256().isEmpty() || m.featureEncoderSha256().matches("[0-9a-f]{64}"),
                "model.feature_encoder_sha256", m.featureEncoderSha256(), "the SHA-256 of the encoder file, 64 "
                        + "hex digits, as 'sha256sum encoder.pt' or 'fedmil data features' prints it");
        check(file, m.featureEncoderSha256().isEmpty() || encoder == Encoder.MLP, "model.feature_encoder_sha256",
                m.featureEncoderSha256(), "unset with encoder: cnn (it pins the encoder of feature bags)");
        return encoder;
    }

    private static void training(Path file, Training t, int rounds) {
        check(file, t.localEpochs() >= 1, "training.local_epochs", t.localEpochs(), "at least 1");
        check(file, t.learningRate() > 0 && Double.isFinite(t.learningRate()),
                "training.learning_rate", t.learningRate(), "a positive number");
        check(file, t.weightDecay() >= 0, "training.weight_decay", t.weightDecay(), "0 or more");
        check(file, java.util.Arrays.stream(DeltaEncoding.values())
                        .anyMatch(e -> e.configName().equals(t.compression())), "training.compression",
                t.compression(), "none, float16 or int8");
        try {
            t.lossConfig();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": section 'training' (loss, focal_gamma, class_weights, gce_q, "
                    + "label_smoothing): " + e.getMessage());
        }
        try {
            t.optimizerConfig();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": section 'training' (optimizer, momentum, nesterov): "
                    + e.getMessage());
        }
        check(file, t.bagsPerStep() >= 1, "training.bags_per_step", t.bagsPerStep(),
                "at least 1 (1: one bag per optimiser step)");
        LearningRateSchedule schedule;
        try {
            schedule = t.schedule().learningRateSchedule();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": section 'training.schedule': " + e.getMessage());
        }
        schedule.problemFor(rounds, t.learningRate()).ifPresent(p -> {
            throw new ConfigException(file + ": section 'training.schedule': " + p);
        });
    }

    private static void pretraining(Path file, Pretraining p, Model m, Encoder encoder) {
        check(file, p.rounds() >= 0, "pretraining.rounds", p.rounds(),
                "0 (no pretraining) or more rounds");
        if (p.rounds() > 0) {
            check(file, encoder == Encoder.CNN, "model.encoder", m.encoder(), "cnn when pretraining.rounds > 0: "
                    + "contrastive pretraining varies image tiles (flips, shifts, colours), which feature bags are not");
            try {
                p.plan();
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file + ": section 'pretraining': " + e.getMessage());
            }
            check(file, p.maxShift() < m.tileSize(), "pretraining.max_shift", p.maxShift(),
                    "less than model.tile_size (" + m.tileSize() + ")");
            check(file, p.colourJitter() >= 0 && p.colourJitter() < 1,
                    "pretraining.colour_jitter", p.colourJitter(), "0 (none) up to, not including, 1");
        }
    }

    private static void evaluation(Path file, Evaluation ev, Encoder encoder) {
        check(file, List.of("none", "flips", "rotations", "all").contains(ev.tta()),
                "evaluation.tta", ev.tta(), "none, flips, rotations or all");
        check(file, ev.tta().equals("none") || encoder == Encoder.CNN, "evaluation.tta", ev.tta(),
                "none: flips and rotations apply to tile bags (encoder: cnn) only");
        check(file, ev.heldOut() || !ev.any(), "evaluation.held_out", ev.heldOut(),
                "true while tta or an ensemble is asked for: those score the held-out set too");
        check(file, ev.ensembleLastK() == 0 || ev.ensembleLastK() >= 2, "evaluation.ensemble_last_k",
                ev.ensembleLastK(), "0 (off) or at least 2 models");
        for (Path m : ev.ensembleModels()) {
            check(file, Files.isRegularFile(m) || Files.isDirectory(m.resolve("models")),
                    "evaluation.ensemble_models", m, "model files (.fedmil) or coordinator state folders (holding "
                            + "models/ and metrics.json) of other federations, that exist");
        }
    }

    /** Builds the strategy, so its parameters bind, and checks that a strategy that buffers updates can hold a round
     * of min_sites. */
    private static Strategy strategy(Path file, CoordinatorConfig c) {
        Strategy built;
        try {
            built = c.strategy().create();
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
        built.maxBufferedUpdates().ifPresent(bound -> check(file, bound >= c.minSites(),
                "strategy.max_buffered_updates", bound, "at least min_sites (" + c.minSites() + "): " + built.name()
                        + " holds every update of a round in memory, and a round of min_sites updates must fit"));
        return built;
    }

        /**
         * Secure aggregation hands the coordinator only the sum of a round's deltas, so whatever needs the individual
         * deltas cannot run with it; refused here rather than found out in round 1.
         */
    private static void secureAggregation(Path file, CoordinatorConfig c, Strategy built) {
        if (!built.capabilities().contains(Capability.LINEAR)) {
            Strategy base = built instanceof ClippedStrategy clipped ? clipped.inner() : built;
            if (!base.capabilities().contains(Capability.LINEAR)) {
                throw new ConfigException(file + ": key 'strategy.name' is " + c.strategy().name() + ", which needs every "
                        + "site's individual update, but secure_aggregation: true gives the coordinator only their "
                        + "sum; use " + linearStrategies() + " (they need only the mean), or turn secure aggregation off");
            }
            throw new ConfigException(file + ": key 'strategy.clip_norm' clips each site's update at the coordinator, "
                    + "which secure_aggregation: true makes impossible (it sees only the sum); bound the updates at "
                    + "the sites instead with training.dp.clip_norm, or turn secure aggregation off");
        }
        check(file, c.pretraining().rounds() == 0, "pretraining.rounds", c.pretraining().rounds(), "0 with "
                + "secure_aggregation: true (pretraining rounds send encoder deltas in the clear; masking them is not "
                + "built yet)");
        check(file, c.minSites() >= 3, "min_sites", c.minSites(), "at least 3 with secure_aggregation: true (with two "
                + "sites each one learns the other's delta from the sum and its own)");
        check(file, c.training().compression().equals(DeltaEncoding.FLOAT32.configName()),
                "training.compression", c.training().compression(), "none with secure_aggregation: true (the masked "
                        + "upload is 8 bytes per coordinate whatever the encoding)");
        check(file, Double.isFinite(c.limits().maxUpdateL2Norm()), "limits.max_update_l2_norm", c.limits().maxUpdateL2Norm(),
                "a finite bound with secure_aggregation: true (it bounds every coordinate of the fixed-point encoding)");
    }

    /** The registered strategies that need only the mean of the updates, e.g. "fedadam, fedavg or fedyogi". */
    private static String linearStrategies() {
        List<String> names = Strategies.types().stream()
                .filter(t -> StrategySettings.parse(t.name()).create().capabilities().contains(Capability.LINEAR))
                .map(StrategyType::name).toList();
        return names.size() == 1 ? names.get(0) : String.join(", ", names.subList(0, names.size() - 1)) + " or "
                + names.get(names.size() - 1);
    }
}
