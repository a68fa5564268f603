package org.fedmil.coordinator.aggregate;

/**
 * What a {@link Strategy} tells every site with its train task.
 *
 * @param proximalMu FedProx's μ: each site adds μ/2‖w − w_global‖² to its local objective; 0 trains as always
 */
public record TrainInstructions(double proximalMu) {

    /** Plain local training. */
    public static final TrainInstructions PLAIN = new TrainInstructions(0);

    public TrainInstructions {
        if (!(proximalMu >= 0) || Double.isInfinite(proximalMu)) {
            throw new IllegalArgumentException("proximal mu must be ≥ 0 and finite, got " + proximalMu);
        }
    }
}
