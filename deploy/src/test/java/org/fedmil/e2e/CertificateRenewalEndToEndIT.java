package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.StatusRuntimeException;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import org.fedmil.coordinator.admin.AdminControl;
import org.fedmil.pki.Certificates;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.pki.PartyKind;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * `fedmil pki renew` while a coordinator and a site's client run: after the link drops, the client's next
 * connection presents the site's renewed certificate and sees the coordinator's, without restarting either.
 */
class CertificateRenewalEndToEndIT {

    private static final JoinRequest JOIN = JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(0).setBags(100))
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(1).setBags(100)).build();

    @Test
    void renewedCertificatesAreUsedOnTheNextConnectionWithoutRestartingCoordinatorOrAgent(@TempDir Path dir)
            throws Exception {
        // min_sites 2: the federation waits, so one site can join again and again
        try (TestFederation fed = new TestFederation(dir, 2, 1, 20, 20);
             FlakyLink link = new FlakyLink(fed.coordinator.port(), Long.MAX_VALUE)) {
            PartyCredentials site = fed.site("site-1");
            PartyCredentials coordinatorFolder = PartyCredentials.in(fed.ca.layout().coordinatorDir());
            BigInteger coordinatorBefore = PemFiles.readCertificate(coordinatorFolder.cert()).getSerialNumber();
            X509Certificate siteBefore = PemFiles.readCertificate(site.cert());
            CoordinatorIdentity seenByAgent = new CoordinatorIdentity(null);
            try (CoordinatorClient client = new CoordinatorClient("localhost", link.port(), TestFederation.tls(site),
                    seenByAgent)) {
                joinRetrying(client);
                assertThat(seenByAgent.certificate()).get().extracting(X509Certificate::getSerialNumber)
                        .isEqualTo(coordinatorBefore);
                assertThat(certSeenByCoordinator(fed)).isEqualTo(Certificates.sha256Fingerprint(siteBefore));

                X509Certificate siteRenewed = fed.ca.renew(PartyKind.SITE, "site-1", Duration.ofDays(400));
                X509Certificate coordinatorRenewed = fed.ca.renew(PartyKind.COORDINATOR, "", Duration.ofDays(400));
                link.cutAll();
                joinRetrying(client);

                assertThat(seenByAgent.certificate()).get().extracting(X509Certificate::getSerialNumber)
                        .isEqualTo(coordinatorRenewed.getSerialNumber());
                assertThat(certSeenByCoordinator(fed)).isEqualTo(Certificates.sha256Fingerprint(siteRenewed))
                        .isNotEqualTo(Certificates.sha256Fingerprint(siteBefore));
            }
        }
    }

    private static String certSeenByCoordinator(TestFederation fed) {
        return fed.coordinator.admin().status().sites().stream().filter(s -> s.site().equals("site-1"))
                .map(AdminControl.Site::certSha256).findFirst().orElseThrow();
    }

    /** Joins once the link (cut, or the handshake with the renewed certificates) lets a call through. */
    private static void joinRetrying(CoordinatorClient client) {
        await("site-1 joins again").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                .ignoreExceptionsInstanceOf(StatusRuntimeException.class).until(() -> client.join(JOIN) != null);
    }
}
