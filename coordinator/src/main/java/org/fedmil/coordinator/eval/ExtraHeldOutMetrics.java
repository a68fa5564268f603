package org.fedmil.coordinator.eval;

/**
 * The extra held-out scores of one global model, a row of heldout-extra.json: next to the model's own AUC, what
 * test-time augmentation and the ensembles make of it. A score that was not asked for is null.
 *
 * @param auc          the global model alone (the AUC metrics.json records)
 * @param ttaAuc       the global model with test-time augmentation ({@code ttaViews} views per bag)
 * @param lastRoundsAuc the mean of the last {@code lastRoundsModels} global models (fewer in the first rounds)
 * @param runsAuc      the mean of the global model and the {@code runsModels − 1} models of other federations
 */
public record ExtraHeldOutMetrics(int round, long modelVersion, int bags, double auc, Double ttaAuc, Integer ttaViews,
                                  Double lastRoundsAuc, Integer lastRoundsModels, Double runsAuc, Integer runsModels) {
}
