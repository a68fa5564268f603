package org.fedmil.site.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fedmil.site.config.SitePolicy;
import org.fedmil.site.policy.Participation;
import org.fedmil.site.policy.PolicyGuard;
import org.fedmil.site.policy.PolicyViolation;
import org.fedmil.site.testing.Deltas;
import org.fedmil.tensor.DeltaEncoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PolicyFilterTest {

    @TempDir
    Path state;

    private PolicyFilter filterRequiringBags(int minBags) {
        return new PolicyFilter(new PolicyGuard(new SitePolicy(null, null, minBags, null, null),
                Participation.open(state)));
    }

    @Test
    void refusesADeltaTrainedOnFewerBagsThanThePolicyRequires() {
        Outbound update = Deltas.trained(1, Deltas.gaussian(1, 10, 0.1), 4, DeltaEncoding.FLOAT32);

        assertThatThrownBy(() -> filterRequiringBags(5).apply(update))
                .isInstanceOf(PolicyViolation.class)
                .satisfies(e -> assertThat(((PolicyViolation) e).rule()).isEqualTo("min_bags"))
                .hasMessageContaining("4 bags");
    }

    @Test
    void passesADeltaThePolicyAllowsUnchanged() {
        Outbound update = Deltas.trained(1, Deltas.gaussian(1, 10, 0.1), 5, DeltaEncoding.FLOAT32);

        assertThat(filterRequiringBags(5).apply(update)).isSameAs(update);
    }

    @Test
    void aValidationResultOnFewerBagsThanMinBagsIsDroppedAndTheDeltaStillGoes() {
        Outbound small = Deltas.trained(1, Deltas.gaussian(1, 10, 0.1), 20, DeltaEncoding.FLOAT32)
                .withValidation(java.util.Optional.of(new org.fedmil.mil.eval.ValidationMetrics(2, 2, 0.5,
                        java.util.OptionalDouble.of(0.75))));
        Outbound out = filterRequiringBags(5).apply(small);
        assertThat(out.validation()).isEmpty();
        assertThat(out.trainingBags()).isEqualTo(20);

        Outbound enough = Deltas.trained(1, Deltas.gaussian(1, 10, 0.1), 20, DeltaEncoding.FLOAT32)
                .withValidation(java.util.Optional.of(new org.fedmil.mil.eval.ValidationMetrics(3, 2, 0.5,
                        java.util.OptionalDouble.empty())));
        assertThat(filterRequiringBags(5).apply(enough)).isSameAs(enough);
    }
}
