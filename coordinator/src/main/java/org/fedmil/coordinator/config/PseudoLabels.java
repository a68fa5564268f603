package org.fedmil.coordinator.config;

/**
 * pseudo_labels: whether sites pseudo-label their unlabeled bags with the global model, and how confidently.
 *
 * @param threshold 0 (off), or the confidence max(p, 1 − p) in (0.5, 1] the global model must have for a site's
 *                  unlabeled bag to join its local training with that pseudo-label; sent to sites as
 *                  TrainingConfig.pseudo_label_threshold
 */
public record PseudoLabels(Double threshold) {
    public PseudoLabels {
        threshold = threshold == null ? 0.0 : threshold;
    }
}
