package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.fedmil.coordinator.server.UploadStream.assertRefused;
import static org.fedmil.coordinator.server.UploadStream.data;
import static org.fedmil.coordinator.server.UploadStream.header;
import static org.fedmil.coordinator.server.UploadStream.signed;
import static org.fedmil.coordinator.server.UploadStream.smallDelta;
import static org.fedmil.coordinator.server.UploadStream.upload;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.proto.v1.LeaveRequest;
import org.fedmil.proto.v1.TensorSpec;
import org.fedmil.proto.v1.UpdateHeader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Malformed requests over real gRPC in process: tensor dimensions that are negative, zero, overflowing or larger
 * than the model are refused at the header with WRONG_TENSORS before anything is allocated or stored, and a fault
 * of the coordinator's own reaches the site as INTERNAL with an incident id, recorded as a refusal, never as
 * UNKNOWN "Application error".
 */
@Timeout(60)
class MalformedRequestRefusalTest {

    @TempDir
    Path dir;

    private InProcessCoordinator coordinator;
    private final byte[] delta = smallDelta();

    @BeforeEach
    void start() throws Exception {
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()).join("site-a", "site-b");
    }

    @AfterEach
    void stop() throws Exception {
        coordinator.close();
    }

    private UploadStream.Outcome uploadWithShape(long... shape) throws Exception {
        TensorSpec.Builder t = TensorSpec.newBuilder().setName("w");
        for (long d : shape) {
            t.addShape(d);
        }
        UpdateHeader.Builder h = header(1, delta).clearTensors().addTensors(t);
        return upload(coordinator.as("site-a"), signed(h, coordinator.key("site-a"), "site-a"), data(delta));
    }

    private void assertRefusedAsWrongTensors(UploadStream.Outcome o, String what) throws Exception {
        assertRefused(o, Status.Code.INVALID_ARGUMENT, what);
        assertThat(coordinator.refusals).singleElement().asString().startsWith("WRONG_TENSORS:");
        try (var files = Files.list(coordinator.spoolDir())) {
            assertThat(files.count()).as("files in the upload spool").isZero();
        }
        assertThat(coordinator.run.updatesReceived()).isZero();
    }

    @Test
    void aNegativeDimensionIsRefusedAsWrongTensorsAndRecorded() throws Exception {
        assertRefusedAsWrongTensors(uploadWithShape(-4), "tensor 'w' has dimension -4 at axis 0");
    }

    @Test
    void dimensionsWhoseProductOverflowsAreRefusedAsWrongTensorsAndRecorded() throws Exception {
        assertRefusedAsWrongTensors(uploadWithShape(1L << 40, 1L << 40), "holds more elements than the whole model");
    }

    @Test
    void aNegativeDimensionPairThatMultipliesToTheModelsSizeIsRefused() throws Exception {
        assertRefusedAsWrongTensors(uploadWithShape(-2, -2), "has dimension -2");
    }

    @Test
    void aZeroDimensionIsRefused() throws Exception {
        assertRefusedAsWrongTensors(uploadWithShape(0), "every dimension must be positive");
    }

    @Test
    void tensorsTotallingMoreThanTheModelAreRefused() throws Exception {
        assertRefusedAsWrongTensors(uploadWithShape(5), "holds more elements than the whole model (4)");
    }

    @Test
    void moreTensorsThanTheModelHasAreRefusedBeforeTheyAreRead() throws Exception {
        UpdateHeader.Builder h = header(1, delta);
        for (int i = 0; i < 1000; i++) {
            h.addTensors(TensorSpec.newBuilder().setName("x" + i).addShape(1));
        }
        UploadStream.Outcome o = upload(coordinator.as("site-a"), signed(h, coordinator.key("site-a"), "site-a"),
                data(delta));
        assertRefusedAsWrongTensors(o, "the header lists 1001 tensors; the federation's model has 1");
    }

    @Test
    void aTensorNameWithControlCharactersIsRefused() throws Exception {
        UpdateHeader.Builder h = header(1, delta).clearTensors()
                .addTensors(TensorSpec.newBuilder().setName("w\n{\"forged\":1}").addShape(4));
        UploadStream.Outcome o = upload(coordinator.as("site-a"), signed(h, coordinator.key("site-a"), "site-a"),
                data(delta));
        assertRefusedAsWrongTensors(o, "tensor 1's name 'w\\u000a{\"forged\":1}' is not 1–256 printable ASCII");
    }

    @Test
    void aFaultOfTheCoordinatorIsInternalWithAnIncidentIdAndRecordedNeverUnknown() throws Exception {
        coordinator.leaveFault = new IllegalStateException("the disk under the round log vanished");

        StatusRuntimeException e = catchThrowableOfType(() -> coordinator.blockingAs("site-a")
                .leave(LeaveRequest.newBuilder().setReason("done").build()), StatusRuntimeException.class);

        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL);
        assertThat(e.getStatus().getDescription()).matches("the coordinator failed on this Leave call \\(incident "
                + "[0-9a-f]{12}\\); nothing of the request was kept.*");
        assertThat(coordinator.refusals).singleElement().asString().startsWith("INTERNAL_ERROR: the coordinator "
                + "failed on this Leave call (incident ");
        assertThat(coordinator.store.refusals()).singleElement()
                .satisfies(r -> assertThat(r.kind()).hasToString("INTERNAL_ERROR"));
    }
}
