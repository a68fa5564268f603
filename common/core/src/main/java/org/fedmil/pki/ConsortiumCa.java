package org.fedmil.pki;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.CertIOException;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.IPAddress;

/**
 * The consortium's certificate authority: the one key every coordinator and site trusts. It is
 * created once ({@link #init}) on the operator's machine and only ever loaded afterwards,
 * because a new CA would silently orphan every certificate already handed to a hospital.
 */
public final class ConsortiumCa {

    public static final Duration DEFAULT_CA_VALIDITY = Duration.ofDays(3650);
    public static final Duration DEFAULT_PARTY_VALIDITY = Duration.ofDays(730);
    public static final String ORGANIZATION = "FedMIL";

    /** Site and admin names: they become the certificate CN, the site id and a folder name. */
    public static final Pattern PARTY_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,63}");

    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    private static final String CURVE = "secp256r1";
    // X.520 upper bound for a CN; longer names make certificates that some verifiers reject.
    private static final int MAX_COMMON_NAME = 64;
    private static final String CA_CN_SUFFIX = " FedMIL CA";
    // Hospital clocks drift; a certificate that is "not yet valid" for a few minutes after
    // issue is a confusing first-contact failure, so validity starts an hour in the past.
    private static final Duration BACKDATE = Duration.ofHours(1);
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final PkiLayout layout;
    private final X509Certificate certificate;
    private final PrivateKey key;

    private ConsortiumCa(PkiLayout layout, X509Certificate certificate, PrivateKey key) {
        this.layout = layout;
        this.certificate = certificate;
        this.key = key;
    }

    /**
     * Creates the CA key and self-signed certificate under {@code pkiDir/ca}. Refuses if a CA is
     * already there: nothing is overwritten, ever.
     */
    public static ConsortiumCa init(Path pkiDir, String consortiumName, Duration validity) throws IOException {
        PkiLayout layout = new PkiLayout(pkiDir);
        String commonName = requireConsortiumName(consortiumName) + CA_CN_SUFFIX;
        requirePositive(validity);
        if (!DurableFiles.isAbsentOrEmptyDir(layout.caDir())) {
            throw new PkiException("a consortium CA already exists in " + layout.caDir()
                    + "; it is never replaced, because every certificate already issued chains to it. "
                    + "Use it with `fedmil pki issue ...`, or give another --dir to start a separate consortium");
        }

        KeyPair pair = newKeyPair();
        Instant now = Instant.now();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, ORGANIZATION)
                .addRDN(BCStyle.CN, commonName)
                .build();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(subject, newSerial(),
                Date.from(now.minus(BACKDATE)), Date.from(now.plus(validity)), subject, pair.getPublic());
        X509Certificate certificate;
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            // pathlen 0: the CA signs parties directly and can never delegate to a sub-CA.
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    extensions.createSubjectKeyIdentifier(pair.getPublic()));
            certificate = sign(builder, pair.getPrivate());
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build the CA certificate", e);
        }

        Path staging = DurableFiles.stagingDirFor(layout.caDir());
        try {
            DurableFiles.createFile(staging.resolve(layout.caKey().getFileName()),
                    ascii(PemFiles.encodePrivateKey(pair.getPrivate())), true);
            DurableFiles.createFile(staging.resolve(layout.caCert().getFileName()),
                    ascii(PemFiles.encodeCertificate(certificate)), false);
            DurableFiles.publish(staging, layout.caDir());
        } finally {
            DurableFiles.deleteRecursively(staging);
        }
        return new ConsortiumCa(layout, certificate, pair.getPrivate());
    }

    /** Loads the CA that {@link #init} created under {@code pkiDir}. */
    public static ConsortiumCa load(Path pkiDir) {
        PkiLayout layout = new PkiLayout(pkiDir);
        for (Path required : List.of(layout.caCert(), layout.caKey())) {
            if (!Files.exists(required)) {
                throw new PkiException("no consortium CA in " + pkiDir + " (missing " + required + "); "
                        + "create it once with `fedmil pki init --dir " + pkiDir + " --name <consortium>`, "
                        + "or give the --dir that holds it");
            }
        }
        requireOwnerOnly(layout.caKey());
        X509Certificate certificate = PemFiles.readCertificate(layout.caCert());
        if (certificate.getBasicConstraints() < 0) {
            throw new PkiException(layout.caCert() + " is not a CA certificate; it must be the ca.pem "
                    + "written by `fedmil pki init`");
        }
        PrivateKey key = PemFiles.readPrivateKey(layout.caKey());
        PemFiles.requireMatchingKey(certificate, layout.caCert(), key, layout.caKey());
        return new ConsortiumCa(layout, certificate, key);
    }

    public PkiLayout layout() {
        return layout;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    /**
     * The coordinator's server certificate: CN is the first host, and every host becomes a
     * subject alternative name (IP literals as IP addresses), because sites verify the name
     * they dial against these.
     */
    public PartyCredentials issueCoordinator(List<String> hosts, Duration validity) throws IOException {
        List<GeneralName> names = subjectAltNames(hosts);
        String commonName = normalizedHost(hosts.get(0));
        if (commonName.length() > MAX_COMMON_NAME) {
            throw new PkiException("the first --host '" + commonName + "' is longer than " + MAX_COMMON_NAME
                    + " characters and cannot be the certificate CN; give a shorter name first");
        }
        return issue(PartyKind.COORDINATOR, commonName, validity, KeyPurposeId.id_kp_serverAuth,
                new GeneralNames(names.toArray(GeneralName[]::new)));
    }

    /** A hospital's client certificate; {@code name} becomes its site id. */
    public PartyCredentials issueSite(String name, Duration validity) throws IOException {
        requirePartyName(name, PartyKind.SITE);
        return issue(PartyKind.SITE, name, validity, KeyPurposeId.id_kp_clientAuth, null);
    }

    /** An operator's client certificate for the coordinator's admin service. */
    public PartyCredentials issueAdmin(String name, Duration validity) throws IOException {
        requirePartyName(name, PartyKind.ADMIN);
        return issue(PartyKind.ADMIN, name, validity, KeyPurposeId.id_kp_clientAuth, null);
    }

    /**
     * Renews a party's certificate: a new certificate for the <em>same key</em> (taken from the party's current
     * {@code cert.pem}, so the operator needs no private key), the same subject, key usages and names, a new
     * serial and a new validity, signed by this CA. {@code cert.pem} is replaced atomically in the party's
     * folder; {@code key.pem} and {@code ca.pem} are not touched. The old certificate stays valid until it
     * expires (revocation in FedMIL is by site name, see docs/pki.md).
     *
     * @param name the site or admin name; ignored for the coordinator
     * @return the new certificate
     */
    public X509Certificate renew(PartyKind kind, String name, Duration validity) throws IOException {
        if (kind != PartyKind.COORDINATOR) {
            requirePartyName(name, kind);
        }
        requirePositive(validity);
        PartyCredentials party = PartyCredentials.in(layout.partyDir(kind, name));
        if (!Files.exists(party.cert())) {
            throw new PkiException("no certificate to renew for " + describe(kind, name) + ": " + party.cert()
                    + " does not exist; issue one with `fedmil pki issue " + kind.organizationalUnit()
                    + (kind == PartyKind.COORDINATOR ? " --host ...`" : " " + name + "`"));
        }
        X509Certificate old = PemFiles.readCertificate(party.cert());
        try {
            old.verify(certificate.getPublicKey());
        } catch (GeneralSecurityException e) {
            throw new PkiException(party.cert() + " was not issued by the CA in " + layout.caCert()
                    + "; renewal keeps the CA, so it cannot renew a certificate of another CA");
        }
        Instant now = Instant.now();
        Instant notBefore = max(now.minus(BACKDATE), certificate.getNotBefore().toInstant());
        Instant notAfter = now.plus(validity);
        Instant caExpiry = certificate.getNotAfter().toInstant();
        if (notAfter.isAfter(caExpiry)) {
            long daysLeft = Duration.between(now, caExpiry).toDays();
            throw new PkiException("a certificate valid for " + validity.toDays() + " days would outlive the CA in "
                    + layout.caCert() + ", which expires " + caExpiry + "; use --days " + daysLeft + " or less");
        }
        X509Certificate renewed;
        try {
            org.bouncycastle.cert.X509CertificateHolder holder = new org.bouncycastle.cert.jcajce.JcaX509CertificateHolder(old);
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, newSerial(),
                    Date.from(notBefore), Date.from(notAfter), holder.getSubject(), old.getPublicKey());
            // the same extensions: key usage, extended key usage, names, key identifiers
            for (Object oid : holder.getExtensions().getExtensionOIDs()) {
                builder.copyAndAddExtension((org.bouncycastle.asn1.ASN1ObjectIdentifier) oid,
                        holder.getExtensions().getExtension((org.bouncycastle.asn1.ASN1ObjectIdentifier) oid).isCritical(),
                        holder);
            }
            renewed = sign(builder, key);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot renew the certificate of " + describe(kind, name), e);
        }
        byte[] pem = ascii(PemFiles.encodeCertificate(renewed));
        org.fedmil.util.AtomicFiles.write(party.cert(), out -> out.write(pem));
        return renewed;
    }

    public static void requirePartyName(String name, PartyKind kind) {
        if (name == null || !PARTY_NAME.matcher(name).matches()) {
            throw new PkiException("invalid " + kind.organizationalUnit() + " name '" + name + "': use 1 to 64 "
                    + "letters, digits, '.', '_' or '-', starting with a letter or digit (e.g. hospital-a); "
                    + "it becomes the certificate CN and a folder name");
        }
    }

    private PartyCredentials issue(PartyKind kind, String commonName, Duration validity, KeyPurposeId purpose,
                                   GeneralNames altNames) throws IOException {
        requirePositive(validity);
        Path dir = layout.partyDir(kind, commonName);
        if (!DurableFiles.isAbsentOrEmptyDir(dir)) {
            throw new PkiException(dir + " already holds credentials for " + describe(kind, commonName)
                    + "; they are not re-issued over. Move that folder away first if you really mean to "
                    + "replace them (parties using the old key will be locked out)");
        }
        Instant now = Instant.now();
        Instant notBefore = max(now.minus(BACKDATE), certificate.getNotBefore().toInstant());
        Instant notAfter = now.plus(validity);
        Instant caExpiry = certificate.getNotAfter().toInstant();
        if (notAfter.isAfter(caExpiry)) {
            long daysLeft = Duration.between(now, caExpiry).toDays();
            throw new PkiException("a certificate valid for " + validity.toDays() + " days would outlive the CA in "
                    + layout.caCert() + ", which expires " + caExpiry + "; use --days " + daysLeft + " or less");
        }

        KeyPair pair = newKeyPair();
        X500Name subject = new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, ORGANIZATION)
                .addRDN(BCStyle.OU, kind.organizationalUnit())
                .addRDN(BCStyle.CN, commonName)
                .build();
        X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, newSerial(),
                Date.from(notBefore), Date.from(notAfter), subject, pair.getPublic());
        X509Certificate issued;
        try {
            JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
            // JSSE enforces these: a site certificate cannot serve TLS and the coordinator's
            // certificate cannot log in as a site.
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(purpose));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    extensions.createSubjectKeyIdentifier(pair.getPublic()));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    extensions.createAuthorityKeyIdentifier(certificate));
            if (altNames != null) {
                builder.addExtension(Extension.subjectAlternativeName, false, altNames);
            }
            issued = sign(builder, key);
        } catch (GeneralSecurityException | CertIOException e) {
            throw new IllegalStateException("cannot build the certificate for " + describe(kind, commonName), e);
        }

        PartyCredentials credentials = PartyCredentials.in(dir);
        Path staging = DurableFiles.stagingDirFor(dir);
        try {
            DurableFiles.createFile(staging.resolve(PartyCredentials.KEY_FILE),
                    ascii(PemFiles.encodePrivateKey(pair.getPrivate())), true);
            DurableFiles.createFile(staging.resolve(PartyCredentials.CERT_FILE),
                    ascii(PemFiles.encodeCertificate(issued)), false);
            // Copied byte for byte so the party trusts exactly what the operator's ca.pem holds.
            DurableFiles.createFile(staging.resolve(PartyCredentials.CA_FILE), Files.readAllBytes(layout.caCert()),
                    false);
            DurableFiles.publish(staging, dir);
        } finally {
            DurableFiles.deleteRecursively(staging);
        }
        return credentials;
    }

    private static List<GeneralName> subjectAltNames(List<String> hosts) {
        if (hosts == null || hosts.isEmpty()) {
            throw new PkiException("the coordinator certificate needs at least one --host: the DNS name or IP "
                    + "address sites dial (e.g. --host fedmil.example.org --host 10.0.0.5)");
        }
        Set<String> seen = new LinkedHashSet<>();
        List<GeneralName> names = new ArrayList<>();
        for (String raw : hosts) {
            String host = normalizedHost(raw);
            if (!seen.add(host)) {
                continue;
            }
            if (IPAddress.isValidIPv4(host) || IPAddress.isValidIPv6(host)) {
                names.add(new GeneralName(GeneralName.iPAddress, host));
            } else {
                requireDnsName(raw, host);
                names.add(new GeneralName(GeneralName.dNSName, host));
            }
        }
        return names;
    }

    private static String normalizedHost(String raw) {
        String host = Objects.requireNonNull(raw, "host").strip();
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return host.toLowerCase(Locale.ROOT);
    }

    private static void requireDnsName(String raw, String host) {
        String problem = null;
        if (host.contains("*")) {
            problem = "wildcards are not allowed; list every name sites dial";
        } else if (host.contains(":") || host.contains("/")) {
            problem = "give a bare host name or IP address, without scheme or port";
        } else if (host.isEmpty() || host.length() > 253) {
            problem = "a DNS name has 1 to 253 characters";
        } else {
            String trimmed = host.endsWith(".") ? host.substring(0, host.length() - 1) : host;
            for (String label : trimmed.split("\\.", -1)) {
                if (!DNS_LABEL.matcher(label).matches()) {
                    problem = "'" + label + "' is not a valid DNS label (letters, digits and inner '-', "
                            + "at most 63 characters)";
                    break;
                }
            }
        }
        if (problem != null) {
            throw new PkiException("invalid --host '" + raw + "': " + problem);
        }
    }

    private static String requireConsortiumName(String name) {
        int max = MAX_COMMON_NAME - CA_CN_SUFFIX.length();
        if (name == null || name.isBlank() || name.length() > max || name.strip().length() != name.length()
                || name.chars().anyMatch(Character::isISOControl)) {
            throw new PkiException("invalid consortium name '" + name + "': give 1 to " + max
                    + " printable characters without leading or trailing spaces (e.g. --name \"Northern Pathology\")");
        }
        return name;
    }

    private static void requirePositive(Duration validity) {
        if (validity == null || validity.isNegative() || validity.isZero()) {
            throw new PkiException("validity must be positive (--days 1 or more), got " + (validity == null ? "none" : validity.toDays() + " days"));
        }
    }

    private static void requireOwnerOnly(Path caKey) {
        if (!caKey.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        try {
            Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(caKey);
            Set<PosixFilePermission> others = EnumSet.noneOf(PosixFilePermission.class);
            others.addAll(permissions);
            others.removeAll(DurableFiles.OWNER_ONLY_FILE);
            if (!others.isEmpty()) {
                // Like ssh with a private key: a CA key others can read may already be copied,
                // and signing with it would hide that.
                throw new PkiException(caKey + " is readable by other users (" + PosixFilePermissions.toString(permissions)
                        + "); run `chmod 600 " + caKey + "`, and consider whether the CA key has leaked");
            }
        } catch (IOException e) {
            throw new PkiException("cannot read the permissions of " + caKey + ": " + e, e);
        }
    }

    private static String describe(PartyKind kind, String name) {
        return kind == PartyKind.COORDINATOR ? "the coordinator" : kind.organizationalUnit() + " '" + name + "'";
    }

    private static KeyPair newKeyPair() {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(CURVE), RANDOM);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK cannot generate " + CURVE + " keys", e);
        }
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signingKey)
            throws GeneralSecurityException {
        try {
            ContentSigner signer = new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(signingKey);
            return new JcaX509CertificateConverter().getCertificate(builder.build(signer));
        } catch (OperatorCreationException e) {
            throw new GeneralSecurityException(e);
        }
    }

    /** Positive, 159 random bits: unpredictable serials defeat chosen-prefix collision attacks. */
    private static BigInteger newSerial() {
        BigInteger serial;
        do {
            serial = new BigInteger(159, RANDOM);
        } while (serial.signum() == 0);
        return serial;
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static byte[] ascii(String pem) {
        return pem.getBytes(StandardCharsets.US_ASCII);
    }
}
