package org.fedmil.coordinator.round;

import java.util.Optional;
import org.fedmil.mil.model.ModelSpec;

/**
 * What a site said its bags hold when it joined: feature vectors of {@code features} values, or image tiles (which
 * the site resizes to the model's tile size and channels, so only the kind must fit).
 */
public record DataShape(boolean tiles, int features) {

    public static DataShape ofTiles() {
        return new DataShape(true, 0);
    }

    public static DataShape ofFeatures(int features) {
        return new DataShape(false, features);
    }

    /**
     * Why a site with these bags cannot train {@code model}, naming both sides and what to do; empty when it can.
     * Checked at join, so that such a site is refused with the reason instead of failing its first task.
     */
    public Optional<String> misfit(String siteId, String federationId, ModelSpec model) {
        String refused = "site '" + siteId + "' was not admitted: federation '" + federationId + "' trains "
                + model + ", ";
        if (model.readsTiles() && !tiles) {
            return Optional.of(refused + "which reads image tiles (encoder cnn, " + model.channels() + " channel(s), "
                    + model.tileSize() + " px), but the site's data folder holds feature bags of " + features
                    + " features; point data_dir at the tile folder the federation agreed on (ask the operator)");
        }
        if (!model.readsTiles() && tiles) {
            return Optional.of(refused + "which reads feature vectors of " + model.inputDim() + " features (encoder "
                    + "mlp), but the site's data folder holds image tiles; compute the agreed features first "
                    + "(fedmil data features) or ask the operator which data the federation trains on");
        }
        if (!model.readsTiles() && features != model.inputDim()) {
            return Optional.of(refused + "which expects " + model.inputDim() + " features per instance, but the "
                    + "site's bags have " + features + "; compute the site's features the way the federation agreed "
                    + "(the same extraction or encoder as the coordinator's held-out set; ask the operator)");
        }
        return Optional.empty();
    }
}
