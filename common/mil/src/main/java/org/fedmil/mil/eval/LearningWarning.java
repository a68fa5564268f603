package org.fedmil.mil.eval;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Arrays;

/**
 * One reason to distrust a model's numbers, as the round table, metrics.json, {@code fedmil train-local} and the
 * benchmarks print it: what kind, and a plain-language message that says what was seen and what to try.
 * Raised by {@link LearningCheck}; the kinds are explained in docs/operator-guide.md ("Warnings under the round
 * table").
 */
public record LearningWarning(Kind kind, String message) {

    public LearningWarning {
        if (kind == null || message == null || message.isBlank()) {
            throw new IllegalArgumentException("a warning needs a kind and a message");
        }
    }

    /** "warning near_constant_scores: held-out set: ...". */
    @Override
    public String toString() {
        return "warning " + kind.code() + ": " + message;
    }

    public enum Kind {
        /** A scored set holds bags of one class only, so its AUC is undefined. */
        SINGLE_CLASS("single_class"),
        /** A site trains on bags of one class only. */
        SITE_SINGLE_CLASS("site_single_class"),
        /** The model gives every bag of a scored set nearly the same score. */
        NEAR_CONSTANT_SCORES("near_constant_scores"),
        /** A trained model's AUC on a scored set cannot be told from chance: its interval includes 0.5. */
        CHANCE_LEVEL_AUC("chance_level_auc"),
        /** The training loss is still that of a model that ignores its input. */
        LOSS_AT_CONSTANT_PREDICTOR("loss_at_constant_predictor"),
        /** Too few bags for the AUC to mean much: its confidence interval is wide. */
        SMALL_SET("small_set");

        private final String code;

        Kind(String code) {
            this.code = code;
        }

        /** The name in metrics.json and the benchmarks' JSON lines. */
        @JsonValue
        public String code() {
            return code;
        }

        public static Kind fromCode(String code) {
            return Arrays.stream(values()).filter(k -> k.code.equals(code)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("unknown warning kind '" + code + "'"));
        }
    }
}
