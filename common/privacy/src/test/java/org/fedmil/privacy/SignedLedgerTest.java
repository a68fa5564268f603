package org.fedmil.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger signed and hash-chained with the site's key: what a hand edit of the file can no longer do. */
class SignedLedgerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path file;
    private PrivacyLedger.Seal seal;
    private PrivacyLedger.Seal otherSeal;

    /** An ECDSA P-256 seal, as the site's certificate key makes it. */
    static PrivacyLedger.Seal seal(KeyPair keys) {
        return new PrivacyLedger.Seal() {
            @Override
            public String sign(byte[] body) {
                try {
                    Signature s = Signature.getInstance("SHA256withECDSA");
                    s.initSign(keys.getPrivate());
                    s.update(body);
                    return Base64.getEncoder().encodeToString(s.sign());
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException(e);
                }
            }

            @Override
            public String publicKey() {
                return Base64.getEncoder().encodeToString(keys.getPublic().getEncoded());
            }
        };
    }

    static KeyPair keys() throws GeneralSecurityException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    @BeforeEach
    void setUp() throws Exception {
        file = tmp.resolve(PrivacyLedger.FILE_NAME);
        seal = seal(keys());
        otherSeal = seal(keys());
    }

    private PrivacyLedger threeReleases() throws IOException {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, seal);
        ledger.charge("fed", 1, "a".repeat(64), 1, 1.0);
        ledger.charge("fed", 2, "b".repeat(64), 1, 1.0);
        ledger.charge("fed", 3, "c".repeat(64), 1, 1.0);
        return ledger;
    }

    /** Rewrites the file with {@code releases} and the cumulative RDP recomputed, as a careful hand edit would. */
    private void rewrite(ArrayNode releases) throws IOException {
        ObjectNode root = (ObjectNode) JSON.readTree(file.toFile());
        RdpBudget b = RdpBudget.empty();
        for (var r : releases) {
            b = b.compose(r.get("samplingRate").asDouble(), r.get("noiseMultiplier").asDouble(), 1);
        }
        ArrayNode rdp = root.putArray("rdp");
        for (double v : b.rdp()) {
            rdp.add(v);
        }
        root.set("releases", releases);
        Files.write(file, JSON.writeValueAsBytes(root));
    }

    private ArrayNode releases() throws IOException {
        return (ArrayNode) JSON.readTree(file.toFile()).get("releases");
    }

    @Test
    void everyReleaseIsSignedAndNamesTheOneBeforeIt() throws IOException {
        threeReleases();
        ArrayNode r = releases();
        assertThat(JSON.readTree(file.toFile()).get("format").asText()).isEqualTo(PrivacyLedger.SIGNED_FORMAT);
        assertThat(r.get(0).get("prev").asText()).isEqualTo(PrivacyLedger.GENESIS);
        assertThat(r.get(1).get("prev").asText()).isNotEqualTo(PrivacyLedger.GENESIS);
        assertThat(r).allSatisfy(e -> assertThat(e.get("sig").asText()).isNotEmpty());
        assertThat(PrivacyLedger.open(file, 1e-5, seal).releases()).hasSize(3);
    }

    @Test
    void theHeadChangesWithEveryReleaseAndAnEarlierHeadIsFoundAgain() throws IOException {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, seal);
        assertThat(ledger.head()).isEqualTo(new PrivacyLedger.Head(0, PrivacyLedger.GENESIS));
        ledger.charge("fed", 1, "a".repeat(64), 1, 1.0);
        PrivacyLedger.Head one = ledger.head();
        ledger.charge("fed", 2, "b".repeat(64), 1, 1.0);

        PrivacyLedger reopened = PrivacyLedger.read(file, seal);
        assertThat(reopened.head().releases()).isEqualTo(2);
        assertThat(reopened.head().sha256()).isNotEqualTo(one.sha256());
        assertThat(reopened.headAt(1)).isEqualTo(one);
        assertThat(reopened.head()).isEqualTo(ledger.head());
    }

    @Test
    void aConsistentHandEditOfTheNoiseIsRefused() throws IOException {
        threeReleases();
        ArrayNode r = releases();
        ((ObjectNode) r.get(0)).put("noiseMultiplier", 50.0);
        rewrite(r);

        assertThatThrownBy(() -> PrivacyLedger.open(file, 1e-5, seal))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("release 1's signature does not check")
                .hasMessageContaining("NOT reset");
    }

    @Test
    void aRemovedReleaseInTheMiddleIsRefused() throws IOException {
        threeReleases();
        ArrayNode r = releases();
        r.remove(0);
        rewrite(r);

        assertThatThrownBy(() -> PrivacyLedger.open(file, 1e-5, seal))
                .isInstanceOf(IOException.class).hasMessageContaining("release 1 names prev");
    }

    @Test
    void aReleaseWhoseNamedKeyIsSwappedWithoutResigningIsRefused() throws IOException {
        threeReleases();
        ArrayNode r = releases();
        ((ObjectNode) r.get(1)).put("key", otherSeal.publicKey());
        rewrite(r);

        assertThatThrownBy(() -> PrivacyLedger.open(file, 1e-5, seal))
                .isInstanceOf(IOException.class).hasMessageContaining("release 2's signature does not check");
    }

    @Test
    void aLedgerOutlivesTheCertificateItWasStartedUnder() throws IOException {
        threeReleases();
        // the site's certificate was renewed (a new key), or it joins a federation of another consortium
        PrivacyLedger renewed = PrivacyLedger.open(file, 1e-5, otherSeal);
        renewed.charge("fed-2", 1, "d".repeat(64), 1, 1.0);

        PrivacyLedger reopened = PrivacyLedger.read(file, seal);
        assertThat(reopened.releases()).hasSize(4);
        assertThat(releases().get(0).get("key").asText()).isEqualTo(seal.publicKey());
        assertThat(releases().get(3).get("key").asText()).isEqualTo(otherSeal.publicKey());
        assertThat(reopened.head()).isEqualTo(renewed.head());
    }

    @Test
    void strippingTheSignaturesIsRefused() throws IOException {
        threeReleases();
        ArrayNode r = releases();
        ((ObjectNode) r.get(2)).remove("sig");
        rewrite(r);

        assertThatThrownBy(() -> PrivacyLedger.open(file, 1e-5, seal))
                .isInstanceOf(IOException.class).hasMessageContaining("release 3 is not signed");
    }

    @Test
    void anUnsignedLedgerOfAnOlderAgentIsSignedAsItIsWhenFirstOpenedWithTheKey() throws IOException {
        PrivacyLedger old = PrivacyLedger.open(file, 1e-5);
        old.charge("fed", 1, "a".repeat(64), 1, 1.0);
        assertThat(old.head().sha256()).isEqualTo(PrivacyLedger.GENESIS);

        PrivacyLedger sealed = PrivacyLedger.open(file, 1e-5, seal);

        assertThat(sealed.releases()).isEqualTo(old.releases());
        assertThat(sealed.head().sha256()).isNotEqualTo(PrivacyLedger.GENESIS);
        assertThat(JSON.readTree(file.toFile()).get("format").asText()).isEqualTo(PrivacyLedger.SIGNED_FORMAT);
        assertThat(PrivacyLedger.read(file, seal).head()).isEqualTo(sealed.head());
    }
}
