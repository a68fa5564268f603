package org.fedmil.site.outbound;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Base64;
import org.fedmil.audit.Signatures;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.site.task.Membership;
import org.fedmil.site.testing.Deltas;
import org.fedmil.site.testing.TestPki;
import org.fedmil.tensor.DeltaEncoding;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SignFilterTest {

    @TempDir
    Path pki;

    private static String problem(TestPki.Site site, UpdateHeader signed, String federation, String siteName) {
        return Signatures.problem(site.certificate().getPublicKey(),
                Wire.updateStatement(signed, federation, siteName).canonicalBytes(),
                Base64.getEncoder().encodeToString(signed.getSiteSignature().toByteArray()), "site-a's certificate");
    }

    @Test
    void signsTheUpdateStatementOfWhatIsSentSoThatItVerifiesWithTheSitesCertificate() {
        TestPki.Site site = new TestPki(pki).site("site-a");
        Membership membership = new Membership();
        membership.joined("fed-test", "site-a");
        Outbound encoded = new CompressionFilter().apply(
                Deltas.trained(2, Deltas.gaussian(5, 200, 0.1), 12, DeltaEncoding.FLOAT16));

        UpdateHeader signed = new SignFilter(site.key(), membership).apply(encoded).header();

        assertThat(problem(site, signed, "fed-test", "site-a")).isNull();
        assertThat(signed.getDeltaSha256().toByteArray()).isEqualTo(org.fedmil.util.Sha256.of(encoded.bytes()));
        // the statement binds federation and site: the same signature does not hold for another
        assertThat(problem(site, signed, "other-federation", "site-a")).contains("bad signature");
        assertThat(problem(site, signed, "fed-test", "site-b")).contains("bad signature");
    }

    @Test
    void refusesToSignBeforeTheSiteJoined() {
        TestPki.Site site = new TestPki(pki).site("site-a");
        Outbound encoded = new CompressionFilter().apply(
                Deltas.trained(1, Deltas.gaussian(5, 20, 0.1), 12, DeltaEncoding.FLOAT32));

        assertThatThrownBy(() -> new SignFilter(site.key(), new Membership()).apply(encoded))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("join");
    }
}
