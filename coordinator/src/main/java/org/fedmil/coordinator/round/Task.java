package org.fedmil.coordinator.round;

/** What the federation tells one site to do next; the service maps it onto the protocol's Task message. */
public sealed interface Task {

    record Train(int round, GlobalModel model) implements Task {
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
}
