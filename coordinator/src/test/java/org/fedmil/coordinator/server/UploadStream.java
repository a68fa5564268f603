package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.security.PrivateKey;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.fedmil.audit.Signatures;
import org.fedmil.audit.UpdateStatement;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;

/**
 * One UploadUpdate call as a site makes it, message by message, and how the coordinator answered it; with the
 * pieces a test builds uploads from (a delta's bytes, its header, signed by the site).
 */
final class UploadStream implements ClientResponseObserver<UpdateChunk, UploadReceipt> {

    /** How the call ended: its status and, when accepted, the receipt. */
    record Outcome(Status status, UploadReceipt receipt) {
    }

    private final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
    private volatile UploadReceipt receipt;
    private volatile ClientCallStreamObserver<UpdateChunk> call;

    private UploadStream() {
    }

    static UploadStream open(FederationGrpc.FederationStub stub) {
        UploadStream s = new UploadStream();
        stub.uploadUpdate(s);
        return s;
    }

    /** Sends every message, half-closes, and waits for the coordinator's answer. */
    static Outcome upload(FederationGrpc.FederationStub stub, UpdateChunk... messages) throws Exception {
        UploadStream s = open(stub);
        for (UpdateChunk m : messages) {
            s.send(m);
        }
        return s.complete().outcome();
    }

    UploadStream send(UpdateChunk message) {
        call.onNext(message);
        return this;
    }

    UploadStream complete() {
        call.onCompleted();
        return this;
    }

    void cancel() {
        call.cancel("the site's link broke", null);
    }

    Outcome outcome() throws Exception {
        return outcome.get(30, TimeUnit.SECONDS);
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<UpdateChunk> requestStream) {
        call = requestStream;
    }

    @Override
    public void onNext(UploadReceipt value) {
        receipt = value;
    }

    @Override
    public void onError(Throwable t) {
        outcome.complete(new Outcome(Status.fromThrowable(t), null));
    }

    @Override
    public void onCompleted() {
        outcome.complete(new Outcome(Status.OK, receipt));
    }

    // --- what uploads are made of

    /** The float32 wire bytes of a delta of the model's one tensor, w[4]. */
    static byte[] delta(float... values) {
        return TensorCodec.encode(new TensorSet(List.of(new NamedTensor("w", new long[] {values.length}, values))));
    }

    /** A small, finite delta within the norm bound. */
    static byte[] smallDelta() {
        return delta(0.1f, -0.2f, 0.3f, -0.4f);
    }

    /** The header a well-behaved site sends for {@code bytes} in {@code round}, trained from the initial model. */
    static UpdateHeader.Builder header(int round, byte[] bytes) {
        return UpdateHeader.newBuilder().setRound(round).setBaseModelVersion(0)
                .setBaseModelSha256(ByteString.copyFrom(InProcessCoordinator.INITIAL.sha256()))
                .setDeltaSha256(ByteString.copyFrom(Sha256.of(bytes))).setNumTrainingBags(5).setTrainLoss(0.5)
                .addAllTensors(Wire.toProto(InProcessCoordinator.INITIAL.weights().specs()))
                .setTotalBytes(bytes.length);
    }

    /** The header with the site's signature over its update statement, as the site agent makes it. */
    static UpdateChunk signed(UpdateHeader.Builder h, PrivateKey key, String site) {
        UpdateStatement statement = Wire.updateStatement(h.build(), InProcessCoordinator.FEDERATION, site);
        return UpdateChunk.newBuilder().setHeader(h.setSiteSignature(ByteString.copyFrom(
                java.util.Base64.getDecoder().decode(Signatures.sign(key, statement.canonicalBytes()))))).build();
    }

    static UpdateChunk unsigned(UpdateHeader.Builder h) {
        return UpdateChunk.newBuilder().setHeader(h).build();
    }

    /** Bytes [from, to) of {@code bytes}, sent at offset {@code from}. */
    static UpdateChunk data(byte[] bytes, int from, int to) {
        return data(from, Arrays.copyOfRange(bytes, from, to));
    }

    static UpdateChunk data(long offset, byte[] bytes) {
        return UpdateChunk.newBuilder().setOffset(offset).setData(ByteString.copyFrom(bytes)).build();
    }

    /** The whole of {@code bytes} in one chunk at offset 0. */
    static UpdateChunk data(byte[] bytes) {
        return data(0, bytes);
    }

    /** Asserts the call was refused with {@code code} and a message saying {@code what}. */
    static void assertRefused(Outcome o, Status.Code code, String what) {
        assertThat(o.status().getCode()).as("status of %s", o.status()).isEqualTo(code);
        assertThat(o.status().getDescription()).contains(what);
    }
}
