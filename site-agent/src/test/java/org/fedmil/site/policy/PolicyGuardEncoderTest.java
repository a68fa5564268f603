package org.fedmil.site.policy;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.fedmil.site.config.SitePolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** policy.approved_model.feature_encoder_sha256: the only pretrained encoder a site lets its features serve. */
class PolicyGuardEncoderTest {

    private static final String APPROVED = "0a2b14b04b7786528f578a1c64284f671c0df6224fa623fac8182d75ba7e380d";
    private static final String OTHER = "3782e6db98eee6731802cd26ffe461d5326e3c7d59e46005e2c1e83c763da442";

    @TempDir
    Path state;

    private PolicyGuard guard(String approved) {
        return new PolicyGuard(new SitePolicy(null, null, null, null, new SitePolicy.ApprovedModel(null, null, null,
                null, null, null, null, approved)), Participation.open(state));
    }

    @Test
    void aFederationPinningAnotherEncoderOrNoneIsRefusedNamingBoth() {
        assertThatThrownBy(() -> guard(APPROVED).checkFeatureEncoder("colon", OTHER)).isInstanceOf(PolicyViolation.class)
                .hasMessageContaining(APPROVED).hasMessageContaining(OTHER).hasMessageContaining("federation 'colon'");
        assertThatThrownBy(() -> guard(APPROVED).checkFeatureEncoder("colon", ""))
                .hasMessageContaining("pins no pretrained encoder");
    }

    @Test
    void theApprovedEncoderOrNoPinPasses() {
        assertThatCode(() -> guard(APPROVED).checkFeatureEncoder("colon", APPROVED.toUpperCase()))
                .doesNotThrowAnyException();
        assertThatCode(() -> guard(null).checkFeatureEncoder("colon", OTHER)).doesNotThrowAnyException();
    }
}
