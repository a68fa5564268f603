package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.fedmil.coordinator.server.UploadStream.assertRefused;
import static org.fedmil.coordinator.server.UploadStream.data;
import static org.fedmil.coordinator.server.UploadStream.signed;
import static org.fedmil.coordinator.server.UploadStream.smallDelta;
import static org.fedmil.coordinator.server.UploadStream.upload;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.proto.v1.UploadStatusReply;
import org.fedmil.proto.v1.UploadStatusRequest;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The upload stream over real gRPC in process, against a real round: what it accepts, how it resumes, and how it
 * refuses a stream whose framing or bytes are wrong. Sites a and b have joined; round 1 is open.
 */
@Timeout(60)
class UpdateUploadTest {

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

    private UpdateChunk signedHeader() {
        return signed(UploadStream.header(1, delta), coordinator.key("site-a"), "site-a");
    }

    private UploadStream.Outcome uploadAsA(UpdateChunk... messages) throws Exception {
        return upload(coordinator.as("site-a"), messages);
    }

    private UploadStatusReply status(String site, byte[] bytes) {
        return coordinator.blockingAs(site).uploadStatus(UploadStatusRequest.newBuilder().setRound(1)
                .setDeltaSha256(ByteString.copyFrom(Sha256.of(bytes))).build());
    }

    /** Waits (at most 10 s) until the coordinator holds {@code expected} bytes of site a's upload: streams run apart. */
    private void awaitHeld(long expected) {
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).untilAsserted(() ->
                assertThat(status("site-a", delta).getAcknowledgedBytes()).as("bytes held").isEqualTo(expected));
    }

    private long spooledFiles() throws Exception {
        try (var files = Files.list(coordinator.spoolDir())) {
            return files.count();
        }
    }

    @Test
    void aCompleteSignedUploadIsAcceptedAndAnsweredWithTheCoordinatorsSignedReceipt() throws Exception {
        UploadStream.Outcome o = uploadAsA(signedHeader(), data(delta, 0, 8), data(delta, 8, 16));

        assertThat(o.status().isOk()).as("status %s", o.status()).isTrue();
        UploadReceipt r = o.receipt();
        assertThat(r.getRound()).isEqualTo(1);
        assertThat(r.getDeltaSha256().toByteArray()).isEqualTo(Sha256.of(delta));
        assertThat(r.getUpdatesReceived()).isEqualTo(1);
        assertThat(r.getUpdatesExpected()).isEqualTo(2);
        assertThat(r.getSignedReceipt()).contains("\"site\":\"site-a\"").contains(Sha256.hex(Sha256.of(delta)));
        assertThat(r.getReceiptSignature().isEmpty()).isFalse();
        assertThat(coordinator.run.updatesReceived()).isEqualTo(1);
        assertThat(spooledFiles()).as("the spooled bytes are dropped once the update is in").isZero();
        assertThat(coordinator.refusals).isEmpty();
    }

    @Test
    void theSameUpdateSentAgainIsAcceptedOnceAndAnsweredWithTheSameReceipt() throws Exception {
        UploadStream.Outcome first = uploadAsA(signedHeader(), data(delta));
        UploadStream.Outcome again = uploadAsA(signedHeader(), data(delta));

        assertThat(again.status().isOk()).as("status %s", again.status()).isTrue();
        assertThat(again.receipt()).isEqualTo(first.receipt());
        assertThat(coordinator.run.updatesReceived()).as("folded in once").isEqualTo(1);
        assertThat(status("site-a", delta).getAccepted()).isTrue();
    }

    @Test
    void aResentChunkOverlappingBytesAlreadyHeldAddsOnlyItsNewPart() throws Exception {
        UploadStream.Outcome o = uploadAsA(signedHeader(), data(delta, 0, 8), data(delta, 4, 16), data(delta, 12, 16));

        assertThat(o.status().isOk()).as("status %s", o.status()).isTrue();
        assertThat(coordinator.run.updatesReceived()).isEqualTo(1);
    }

    @Test
    void aStreamCancelledMidwayFoldsNothingAndTheSiteResumesFromTheBytesHeld() throws Exception {
        UploadStream broken = UploadStream.open(coordinator.as("site-a")).send(signedHeader()).send(data(delta, 0, 8));
        awaitHeld(8);
        broken.cancel();
        assertThat(broken.outcome().status().getCode()).isEqualTo(Status.Code.CANCELLED);

        assertThat(coordinator.run.updatesReceived()).as("nothing of a broken stream is folded in").isZero();
        assertThat(coordinator.refusals).as("a broken stream is not a refusal").isEmpty();
        long held = status("site-a", delta).getAcknowledgedBytes();
        assertThat(held).as("the bytes that arrived are kept for resuming").isEqualTo(8);

        UploadStream.Outcome resumed = uploadAsA(signedHeader(), data(delta, (int) held, 16));
        assertThat(resumed.status().isOk()).as("status %s", resumed.status()).isTrue();
        assertThat(coordinator.run.updatesReceived()).isEqualTo(1);
    }

    @Test
    void dataBeforeTheHeaderIsRefusedAsMalformed() throws Exception {
        UploadStream.Outcome o = uploadAsA(data(delta), signedHeader());

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "the first message of an upload must be its header");
        assertThat(coordinator.refusals).singleElement().asString().startsWith("MALFORMED");
    }

    @Test
    void aSecondHeaderIsRefusedAsMalformed() throws Exception {
        UploadStream.Outcome o = uploadAsA(signedHeader(), data(delta, 0, 8), signedHeader());

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "an upload has exactly one header");
        assertThat(coordinator.run.updatesReceived()).isZero();
    }

    @Test
    void anUploadWithoutAnyMessageIsRefusedAsMalformed() throws Exception {
        UploadStream.Outcome o = uploadAsA();

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "empty upload: no header was sent");
    }

    @Test
    void aChunkLargerThanTheProtocolsChunkSizeIsRefusedAsTooLarge() throws Exception {
        UploadStream.Outcome o = uploadAsA(signedHeader(), data(0, new byte[Wire.MAX_CHUNK_BYTES + 1]));

        assertRefused(o, Status.Code.RESOURCE_EXHAUSTED, "chunk of " + (Wire.MAX_CHUNK_BYTES + 1)
                + " bytes exceeds the protocol's " + Wire.MAX_CHUNK_BYTES + "-byte limit");
        assertThat(coordinator.refusals).singleElement().asString().startsWith("TOO_LARGE");
    }

    @Test
    void moreBytesThanTheHeaderAnnouncedAreRefusedAsTooLarge() throws Exception {
        UploadStream.Outcome o = uploadAsA(signedHeader(), data(delta), data(16, new byte[4]));

        assertRefused(o, Status.Code.RESOURCE_EXHAUSTED, "received more than the 16 bytes announced in the header");
        assertThat(coordinator.run.updatesReceived()).isZero();
    }

    @Test
    void aChunkLeavingAGapAfterTheBytesHeldIsRefusedAsOutOfOrder() throws Exception {
        UploadStream.Outcome o = uploadAsA(signedHeader(), data(delta, 0, 4), data(delta, 8, 16));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "data chunk at offset 8 but the coordinator holds 4 bytes");
        assertThat(coordinator.refusals).singleElement().asString().startsWith("OUT_OF_ORDER");
    }

    @Test
    void aChunkAtANegativeOffsetIsRefusedAsOutOfOrder() throws Exception {
        UploadStream.Outcome o = uploadAsA(signedHeader(), data(-4, Arrays.copyOf(delta, 4)));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "data chunk at offset -4");
    }

    @Test
    void anUploadEndingBeforeTheAnnouncedBytesIsRefusedAsTruncatedAndItsBytesForgotten() throws Exception {
        UploadStream.Outcome o = uploadAsA(signedHeader(), data(delta, 0, 8));

        assertRefused(o, Status.Code.INVALID_ARGUMENT, "upload ended after 8 of 16 announced bytes");
        assertThat(coordinator.refusals).singleElement().asString().startsWith("TRUNCATED");
        assertThat(status("site-a", delta).getAcknowledgedBytes()).as("held bytes after a truncated upload").isZero();
        assertThat(coordinator.run.updatesReceived()).isZero();
    }

    @Test
    void anOlderStreamOfAnUploadThatANewerStreamTookOverIsAborted() throws Exception {
        UploadStream older = UploadStream.open(coordinator.as("site-a")).send(signedHeader()).send(data(delta, 0, 8));
        awaitHeld(8);
        // the site resumed on a new connection; the bytes it sent there show the takeover happened
        UploadStream newer = UploadStream.open(coordinator.as("site-a")).send(signedHeader()).send(data(delta, 8, 12));
        awaitHeld(12);

        older.send(data(delta, 12, 16)).complete();
        assertRefused(older.outcome(), Status.Code.ABORTED, "a newer stream of this upload took over");

        UploadStream.Outcome o = newer.send(data(delta, 12, 16)).complete().outcome();
        assertThat(o.status().isOk()).as("status %s", o.status()).isTrue();
        assertThat(coordinator.run.updatesReceived()).isEqualTo(1);
    }

    @Test
    void anOlderStreamThatEndsAfterANewerOneTookOverIsAbortedAndNotSubmitted() throws Exception {
        UploadStream older = UploadStream.open(coordinator.as("site-a")).send(signedHeader()).send(data(delta, 0, 8));
        awaitHeld(8);
        UploadStream newer = UploadStream.open(coordinator.as("site-a")).send(signedHeader()).send(data(delta, 8, 16));
        awaitHeld(16);

        // every byte is held, but by the newer stream: the older one's end must not submit them
        assertRefused(older.complete().outcome(), Status.Code.ABORTED, "a newer stream of this upload took over");
        assertThat(coordinator.run.updatesReceived()).isZero();

        assertThat(newer.complete().outcome().status().isOk()).isTrue();
        assertThat(coordinator.run.updatesReceived()).isEqualTo(1);
    }

    @Test
    void aFloat16DeltaIsDecodedAndAccepted() throws Exception {
        byte[] half = DeltaCodec.encode(new TensorSet(List.of(
                new NamedTensor("w", new long[] {4}, new float[] {0.5f, -0.25f, 0.125f, 1f}))), DeltaEncoding.FLOAT16);
        UpdateChunk h = signed(UploadStream.header(1, half).setEncoding(Wire.toProto(DeltaEncoding.FLOAT16)),
                coordinator.key("site-a"), "site-a");
        UploadStream.Outcome o = uploadAsA(h, data(half));

        assertThat(half).hasSize(8);
        assertThat(o.status().isOk()).as("status %s", o.status()).isTrue();
        assertThat(coordinator.run.updatesReceived()).isEqualTo(1);
    }

    @Test
    void anUploadTheCoordinatorCannotSpoolIsRefusedAsUnavailableToTryAgainLater() throws Exception {
        // the spool folder is gone and a file has its name: no upload file can be created in it (even as root)
        Files.delete(coordinator.spoolDir());
        Files.writeString(coordinator.spoolDir(), "not a folder");

        UploadStream.Outcome o = uploadAsA(signedHeader(), data(delta));

        assertRefused(o, Status.Code.UNAVAILABLE, "the coordinator cannot store the upload");
        assertThat(o.status().getDescription()).contains("try again later");
        assertThat(coordinator.run.updatesReceived()).isZero();
    }
}
