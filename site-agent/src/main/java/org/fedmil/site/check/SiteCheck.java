package org.fedmil.site.check;

import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.model.Devices;
import org.fedmil.pki.Certificates;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.site.agent.JoinRequests;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.train.SiteData;

/**
 * What {@code fedmil site check} verifies before any training, each check on its own so that one run lists every
 * problem: the data folder, the certificate (signed by the CA in ca.pem, whose fingerprint it prints, and valid),
 * that the key belongs to it, the coordinator over mutual TLS (and its pinned fingerprint), whether the coordinator
 * would admit this site (revoked, finished, a model that cannot read this site's data), and the device DJL will
 * train on. Nothing is written, here or at the coordinator.
 */
public final class SiteCheck {

    /** A certificate expiring sooner than this is a warning: renewal takes the operator and a phone call. */
    public static final Duration EXPIRY_WARNING = Duration.ofDays(30);

    private final SiteConfig config;
    private final Clock clock;
    private final Duration timeout;

    /**
     * @param clock   the time certificates are judged at (the system clock; a test's for expiry)
     * @param timeout how long to wait for the coordinator to answer
     */
    public SiteCheck(SiteConfig config, Clock clock, Duration timeout) {
        this.config = config;
        this.clock = clock;
        this.timeout = timeout;
    }

    public List<CheckResult> run() throws InterruptedException {
        List<CheckResult> results = new ArrayList<>();
        Optional<SiteData> data = openData();
        results.add(data(data));
        CheckResult certificate = certificate();
        results.add(certificate);
        CheckResult key = key();
        results.add(key);
        if (certificate.status().ok() && key.status().ok()) {
            results.addAll(coordinator(data.flatMap(this::joinRequest)));
        } else {
            results.add(CheckResult.skip("coordinator", "not tried: this site's certificate or key is not usable"));
        }
        results.add(device());
        return results;
    }

    private Optional<SiteData> openData() {
        try {
            return Optional.of(new SiteData(config.dataDir(), config.validation().split()));
        } catch (RuntimeException e) {
            return Optional.empty();
        }
    }

    CheckResult data() {
        return data(openData());
    }

    /**
     * What the agent would send at join, signed with the site's key as the agent signs it, for the admission check;
     * empty when the data cannot say (or the key cannot be read, which the TLS line reports).
     */
    private Optional<JoinRequest> joinRequest(SiteData data) {
        try {
            return Optional.of(JoinRequests.signed(data, config.device(), Optional.ofNullable(config.encoderFile())
                    .map(org.fedmil.mil.encoder.TorchScriptEncoder::sha256), config.tls()));
        } catch (RuntimeException e) {
            return Optional.empty(); // the data line reports what is wrong with the folder
        }
    }

    private CheckResult data(Optional<SiteData> opened) {
        try {
            SiteData data = opened.orElseGet(() -> new SiteData(config.dataDir(), config.validation().split()));
            LabelCounts counts = data.labelCounts();
            String detail = data.describe() + " (" + counts.negatives() + " negative, " + counts.positives()
                    + " positive) in " + config.dataDir();
            if (counts.negatives() == 0 || counts.positives() == 0) {
                return CheckResult.warn("data", detail + "; a site with one class only teaches the model little");
            }
            if (data.tooSmallForValidation()) {
                return CheckResult.warn("data", detail + "; no class has 2 bags, so this site keeps no validation "
                        + "bags and reports no validation (set validation.fraction: 0 to silence this)");
            }
            return CheckResult.pass("data", detail);
        } catch (RuntimeException e) {
            return CheckResult.fail("data", e.getMessage() + " (data_dir " + config.dataDir()
                    + "; the layout is in docs/data-format.md)");
        }
    }

    CheckResult certificate() {
        X509Certificate cert;
        List<X509Certificate> authorities;
        try {
            cert = PemFiles.readCertificate(config.tls().cert());
            authorities = PemFiles.readCertificates(config.tls().ca());
        } catch (RuntimeException e) {
            return CheckResult.fail("certificate", e.getMessage());
        }
        Optional<X509Certificate> issuer = authorities.stream().filter(ca -> issuedBy(cert, ca)).findFirst();
        if (issuer.isEmpty()) {
            return CheckResult.fail("certificate", config.tls().cert() + " (" + cert.getIssuerX500Principal().getName()
                    + " signed it) was not issued by the consortium CA in " + config.tls().ca() + " ("
                    + authorities.get(0).getSubjectX500Principal().getName() + ", SHA-256 fingerprint "
                    + Certificates.sha256Fingerprint(authorities.get(0)) + "); use cert.pem and ca.pem from the "
                    + "folder the operator sent");
        }
        // the CA file could be another consortium's as well: its fingerprint is what the operator phones in
        String ca = " by the consortium CA " + issuer.get().getSubjectX500Principal().getName() + " (ca.pem SHA-256 "
                + "fingerprint " + Certificates.sha256Fingerprint(issuer.get()) + "; compare it with the one the "
                + "consortium operator gave you)";
        Instant now = clock.instant();
        Instant notAfter = cert.getNotAfter().toInstant();
        String who = cert.getSubjectX500Principal().getName();
        if (now.isAfter(notAfter)) {
            return CheckResult.fail("certificate", config.tls().cert() + " (" + who + ") expired on " + notAfter
                    + "; ask the consortium operator for a new certificate");
        }
        if (now.isBefore(cert.getNotBefore().toInstant())) {
            return CheckResult.fail("certificate", config.tls().cert() + " is only valid from "
                    + cert.getNotBefore().toInstant() + "; check this machine's clock");
        }
        long days = ChronoUnit.DAYS.between(now, notAfter);
        if (notAfter.isBefore(now.plus(EXPIRY_WARNING))) {
            return CheckResult.warn("certificate", who + " expires on " + notAfter + ", in " + days + " days; ask the "
                    + "consortium operator to renew it now (it works until then); issued" + ca);
        }
        return CheckResult.pass("certificate", who + ", issued" + ca + ", valid until " + notAfter
                + " (" + days + " days)");
    }

    private static boolean issuedBy(X509Certificate cert, X509Certificate ca) {
        try {
            cert.verify(ca.getPublicKey());
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    CheckResult key() {
        try {
            X509Certificate cert = PemFiles.readCertificate(config.tls().cert());
            PrivateKey key = PemFiles.readPrivateKey(config.tls().key());
            PemFiles.requireMatchingKey(cert, config.tls().cert(), key, config.tls().key());
            return CheckResult.pass("key", config.tls().key() + " is the private key of " + config.tls().cert());
        } catch (RuntimeException e) {
            return CheckResult.fail("key", e.getMessage());
        }
    }

    List<CheckResult> coordinator(Optional<JoinRequest> join) {
        try {
            return new CoordinatorHandshake(config.coordinator().host(), config.coordinator().port(), config.tls(),
                    config.policy().coordinatorFingerprint(), timeout,
                    config.coordinator().handshakeTimeout()).check(join);
        } catch (RuntimeException e) {
            return List.of(CheckResult.fail("coordinator", e.getMessage()));
        }
    }

    CheckResult device() {
        try {
            String device = Devices.describe(Devices.choose(config.device()));
            return CheckResult.pass("device", "training will run on " + device + " (device: " + config.device() + ")"
                    + (device.startsWith("cpu") && "auto".equals(config.device())
                    ? "; for a GPU see docs/site-guide.md (PYTORCH_LIBRARY_PATH)" : ""));
        } catch (RuntimeException e) {
            return CheckResult.fail("device", e.getMessage());
        }
    }
}
