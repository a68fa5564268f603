package org.fedmil.audit;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import org.junit.jupiter.api.Test;

/** Signing (the JDK's ECDSA) and checking (Bouncy Castle's) agree, and checking refuses what it must. */
class SignaturesTest {

    private static KeyPair p256() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(new ECGenParameterSpec("secp256r1"));
        return g.generateKeyPair();
    }

    private static final byte[] DATA = "{\"round\":3,\"site\":\"site-1\"}".getBytes(StandardCharsets.UTF_8);

    @Test
    void aSignatureMadeWithTheJdkIsAcceptedAndAnyChangeToDataOrKeyIsRefused() throws Exception {
        KeyPair key = p256();
        for (int i = 0; i < 20; i++) { // random k: several signatures, some with a high s before normalising
            String sig = Signatures.sign(key.getPrivate(), DATA);
            assertThat(Signatures.problem(key.getPublic(), DATA, sig, "the site")).isNull();
        }
        String sig = Signatures.sign(key.getPrivate(), DATA);
        byte[] altered = DATA.clone();
        altered[3] ^= 1;
        assertThat(Signatures.problem(key.getPublic(), altered, sig, "the site"))
                .isEqualTo("bad signature: altered, or not signed by the site");
        assertThat(Signatures.problem(p256().getPublic(), DATA, sig, "the site"))
                .isEqualTo("bad signature: altered, or not signed by the site");
    }

    @Test
    void aPlainJdkSignatureIsAcceptedWhenItsSIsLowAndRefusedAsNotCanonicalOtherwise() throws Exception {
        KeyPair key = p256();
        // a plain JDK signature: accepted if its s is already low, else refused as not canonical
        Signature jdk = Signature.getInstance("SHA256withECDSA");
        jdk.initSign(key.getPrivate());
        jdk.update(DATA);
        byte[] der = jdk.sign();
        String problem = Signatures.problem(key.getPublic(), DATA, Base64.getEncoder().encodeToString(der), "x");
        if (LowS.isCanonical(der, ((java.security.interfaces.ECPublicKey) key.getPublic()).getParams().getOrder())) {
            assertThat(problem).isNull();
        } else {
            assertThat(problem).contains("not a canonical low-s");
        }
    }
}
