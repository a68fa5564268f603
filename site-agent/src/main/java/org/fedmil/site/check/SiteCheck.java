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
import org.fedmil.mil.data.LabelCounts;
import org.fedmil.mil.model.Devices;
import org.fedmil.pki.PemFiles;
import org.fedmil.site.config.SiteConfig;
import org.fedmil.site.train.SiteData;

/**
 * What {@code fedmil site check} verifies before any training, each check on its own so that one run lists every
 * problem: the data folder, the certificate's validity, that the key belongs to it, the coordinator over mutual TLS
 * (and its pinned fingerprint), and the device DJL will train on. Nothing is written and no RPC is made.
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
        results.add(data());
        CheckResult certificate = certificate();
        results.add(certificate);
        CheckResult key = key();
        results.add(key);
        if (certificate.status().ok() && key.status().ok()) {
            results.add(coordinator());
        } else {
            results.add(CheckResult.skip("coordinator", "not tried: this site's certificate or key is not usable"));
        }
        results.add(device());
        return results;
    }

    CheckResult data() {
        try {
            SiteData data = new SiteData(config.dataDir(), config.validation().split());
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
        if (authorities.stream().noneMatch(ca -> issuedBy(cert, ca))) {
            return CheckResult.fail("certificate", config.tls().cert() + " was not issued by the consortium CA in "
                    + config.tls().ca() + "; use cert.pem and ca.pem from the folder the operator sent");
        }
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
                    + "consortium operator to renew it now (it works until then)");
        }
        return CheckResult.pass("certificate", who + ", issued by the consortium CA, valid until " + notAfter
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

    CheckResult coordinator() throws InterruptedException {
        try {
            return new CoordinatorHandshake(config.coordinator().host(), config.coordinator().port(), config.tls(),
                    config.policy().coordinatorFingerprint(), timeout).check();
        } catch (RuntimeException e) {
            return CheckResult.fail("coordinator", e.getMessage());
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
