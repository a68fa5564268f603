package org.fedmil.pki;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;
import org.bouncycastle.util.io.pem.PemWriter;

/**
 * PEM encoding of certificates and private keys. Keys are always PKCS#8
 * ("BEGIN PRIVATE KEY"): it is the only key format Netty and OpenSSL-based tools agree on, and
 * JcaPEMWriter would otherwise write EC keys as SEC1 ("BEGIN EC PRIVATE KEY").
 *
 * <p>No Bouncy Castle provider is registered: keys and certificates are converted to the JDK's
 * own classes (SunEC, SUN), which is what JSSE signs and verifies with during the handshake.
 */
public final class PemFiles {

    private static final String HOW_TO_FIX =
            "the consortium operator creates these files with `fedmil pki init` and `fedmil pki issue ...` (see docs/pki.md)";

    private PemFiles() {
    }

    public static String encodeCertificate(X509Certificate certificate) {
        return encode(certificate);
    }

    public static String encodePrivateKey(PrivateKey key) {
        StringWriter out = new StringWriter();
        try (PemWriter writer = new PemWriter(out)) {
            writer.writeObject(new JcaPKCS8Generator(key, null));
        } catch (IOException e) {
            throw new IllegalStateException("cannot encode " + key.getAlgorithm() + " key as PKCS#8", e);
        }
        return out.toString();
    }

    /** Every certificate in {@code file}, in order; at least one. */
    public static List<X509Certificate> readCertificates(Path file) {
        List<X509Certificate> certificates = new ArrayList<>();
        try (PEMParser parser = new PEMParser(reader(file, "certificate"))) {
            JcaX509CertificateConverter converter = new JcaX509CertificateConverter();
            for (Object o = parser.readObject(); o != null; o = parser.readObject()) {
                if (!(o instanceof X509CertificateHolder holder)) {
                    throw new PkiException(file + " holds a " + describe(o) + " where a certificate was expected; "
                            + "check that the file names were not swapped (" + HOW_TO_FIX + ")");
                }
                certificates.add(converter.getCertificate(holder));
            }
        } catch (IOException | CertificateException e) {
            throw new PkiException(file + " is not a PEM certificate (" + e.getMessage() + "); " + HOW_TO_FIX, e);
        }
        if (certificates.isEmpty()) {
            throw new PkiException(file + " contains no \"-----BEGIN CERTIFICATE-----\" block (a DER file must be converted to PEM); " + HOW_TO_FIX);
        }
        return List.copyOf(certificates);
    }

    /** The one certificate {@code file} must hold. */
    public static X509Certificate readCertificate(Path file) {
        List<X509Certificate> certificates = readCertificates(file);
        if (certificates.size() != 1) {
            throw new PkiException(file + " holds " + certificates.size() + " certificates, expected exactly one; " + HOW_TO_FIX);
        }
        return certificates.get(0);
    }

    /** An unencrypted private key; PKCS#8 as written by {@link #encodePrivateKey}, or SEC1 from openssl. */
    public static PrivateKey readPrivateKey(Path file) {
        Object o;
        try (PEMParser parser = new PEMParser(reader(file, "private key"))) {
            o = parser.readObject();
        } catch (IOException e) {
            throw new PkiException(file + " is not a PEM private key (" + e.getMessage() + "); " + HOW_TO_FIX, e);
        }
        if (o == null) {
            throw new PkiException(file + " contains no \"-----BEGIN PRIVATE KEY-----\" block (a DER file must be converted to PEM); " + HOW_TO_FIX);
        }
        if (o instanceof PKCS8EncryptedPrivateKeyInfo || o instanceof PEMEncryptedKeyPair) {
            throw new PkiException(file + " is an encrypted private key; FedMIL needs it unencrypted "
                    + "and protected by file permissions (rw-------) instead");
        }
        JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
        try {
            if (o instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair pair) {
                return converter.getPrivateKey(pair.getPrivateKeyInfo());
            }
        } catch (IOException e) {
            throw new PkiException(file + " holds a private key of an unsupported algorithm (" + e.getMessage() + "); "
                    + HOW_TO_FIX, e);
        }
        throw new PkiException(file + " holds a " + describe(o) + " where a private key was expected; "
                + "check that the file names were not swapped (" + HOW_TO_FIX + ")");
    }

    /**
     * Fails unless {@code key} is the private half of {@code certificate}. Checked up front
     * because a mismatch otherwise surfaces only as an opaque handshake failure on the peer.
     */
    public static void requireMatchingKey(X509Certificate certificate, Path certFile, PrivateKey key, Path keyFile) {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            case "Ed25519", "EdDSA" -> "Ed25519";
            default -> null;
        };
        if (algorithm == null) {
            return;
        }
        try {
            byte[] challenge = "fedmil key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(challenge);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(certificate.getPublicKey());
            verifier.update(challenge);
            if (verifier.verify(signature)) {
                return;
            }
        } catch (GeneralSecurityException e) {
            // A key of another type than the certificate's lands here too: same advice.
        }
        throw new PkiException(keyFile + " is not the private key of " + certFile
                + "; copy both from the same folder the consortium operator issued");
    }

    private static Reader reader(Path file, String what) {
        try {
            return new StringReader(Files.readString(file, StandardCharsets.ISO_8859_1));
        } catch (NoSuchFileException e) {
            throw new PkiException("missing " + what + " file " + file + "; " + HOW_TO_FIX, e);
        } catch (AccessDeniedException e) {
            throw new PkiException("cannot read " + what + " file: " + org.fedmil.util.Unreadable.notReadable(e), e);
        } catch (IOException e) {
            throw new PkiException("cannot read " + what + " file " + file + ": " + e, e);
        }
    }

    private static String encode(Object object) {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(object);
        } catch (IOException e) {
            throw new IllegalStateException("cannot PEM-encode " + object.getClass().getSimpleName(), e);
        }
        return out.toString();
    }

    private static String describe(Object o) {
        if (o instanceof PrivateKeyInfo || o instanceof PEMKeyPair) {
            return "private key";
        }
        if (o instanceof X509CertificateHolder) {
            return "certificate";
        }
        return o.getClass().getSimpleName();
    }
}
