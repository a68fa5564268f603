package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.fedmil.coordinator.server.UploadStream.assertRefused;
import static org.fedmil.coordinator.server.UploadStream.data;
import static org.fedmil.coordinator.server.UploadStream.header;
import static org.fedmil.coordinator.server.UploadStream.signed;
import static org.fedmil.coordinator.server.UploadStream.smallDelta;
import static org.fedmil.coordinator.server.UploadStream.upload;

import io.grpc.Status;
import java.nio.file.Path;
import java.time.Duration;
import org.fedmil.coordinator.round.FederatedValidation;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.ValidationSummary;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The validation a site sends in its upload header, over real gRPC in process: read into the round's federated
 * validation, absent from an older site's header without harm, and refused when it cannot be a measurement.
 */
@Timeout(60)
class ValidationHeaderTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;
    private final byte[] delta = smallDelta();

    @AfterEach
    void stop() throws Exception {
        if (coordinator != null) {
            coordinator.close();
        }
    }

    private UploadStream.Outcome uploadAs(String site, UpdateHeader.Builder h) throws Exception {
        return upload(coordinator.as(site), signed(h, coordinator.key(site), site), data(delta));
    }

    @Test
    void theSitesValidationReachesTheRoundAndAnOldHeaderWithoutItIsStillAccepted() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a", "site-b");
        UpdateHeader.Builder withValidation = header(1, delta).setValidation(ValidationSummary.newBuilder()
                .setNegativeBags(3).setPositiveBags(2).setLoss(0.4).setAuc(0.75));
        assertThat(uploadAs("site-a", withValidation).status().isOk()).isTrue();
        assertThat(uploadAs("site-b", header(1, delta)).status().isOk()).as("a header without validation").isTrue();
        assertThat(coordinator.run.awaitModelVersion(1, Duration.ofSeconds(20))).isTrue();

        FederatedValidation v = coordinator.run.history().get(1).validation();
        assertThat(v).isNotNull();
        assertThat(v.sites()).isEqualTo(1);
        assertThat(v.bags()).isEqualTo(5);
        assertThat(v.loss()).isCloseTo(0.4, within(1e-12));
        assertThat(v.auc()).isCloseTo(0.75, within(1e-12));
        assertThat(v.modelRound()).isZero();
        assertThat(v.modelVersion()).isEqualTo(coordinator.run.history().get(0).modelVersion());
    }

    @Test
    void aValidationThatCannotBeAMeasurementIsRefusedAsBadHeaderValues() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a", "site-b");
        UploadStream.Outcome auc = uploadAs("site-a", header(1, delta).setValidation(ValidationSummary.newBuilder()
                .setNegativeBags(3).setPositiveBags(2).setLoss(0.4).setAuc(1.5)));
        assertRefused(auc, Status.Code.INVALID_ARGUMENT, "validation AUC must be in [0, 1], got 1.5");

        UploadStream.Outcome empty = uploadAs("site-a", header(1, delta).setValidation(ValidationSummary.newBuilder()
                .setLoss(0.4)));
        assertRefused(empty, Status.Code.INVALID_ARGUMENT, "validation needs at least one bag");

        UploadStream.Outcome nan = uploadAs("site-a", header(1, delta).setValidation(ValidationSummary.newBuilder()
                .setNegativeBags(1).setLoss(Double.NaN)));
        assertRefused(nan, Status.Code.INVALID_ARGUMENT, "validation loss must be a finite number");
        assertThat(coordinator.refusals).allSatisfy(r -> assertThat(r).asString().startsWith("BAD_HEADER_VALUES:"));
        assertThat(coordinator.run.updatesReceived()).isZero();
    }
}
