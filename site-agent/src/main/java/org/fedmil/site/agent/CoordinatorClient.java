package org.fedmil.site.agent;

import com.google.protobuf.ByteString;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.security.MessageDigest;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.fedmil.config.TlsFiles;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.ModelHeader;
import org.fedmil.proto.v1.NextTaskRequest;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.protocol.ChunkAssembler;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tls.MutualTls;
import org.fedmil.util.Sha256;

/** The site's side of the protocol over one mutual-TLS channel to the coordinator. */
public final class CoordinatorClient implements AutoCloseable {

    private static final long RPC_TIMEOUT_SECONDS = 120;

    private final ManagedChannel channel;
    private final FederationGrpc.FederationBlockingStub blocking;
    private final FederationGrpc.FederationStub async;

    public CoordinatorClient(String host, int port, TlsFiles tls) {
        ChannelCredentials credentials = MutualTls.channelCredentials(tls.cert(), tls.key(), tls.ca());
        this.channel = Grpc.newChannelBuilderForAddress(host, port, credentials)
                .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024)
                .build();
        this.blocking = FederationGrpc.newBlockingStub(channel);
        this.async = FederationGrpc.newStub(channel);
    }

    public JoinResponse join(JoinRequest request) {
        return blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS).join(request);
    }

    public Task nextTask(int maxWaitMs) {
        return blocking.withDeadlineAfter(maxWaitMs + RPC_TIMEOUT_SECONDS * 1000L, TimeUnit.MILLISECONDS)
                .nextTask(NextTaskRequest.newBuilder().setMaxWaitMs(maxWaitMs).build());
    }

    /** A global model whose bytes were checked against the SHA-256 the task announced. */
    public record DownloadedModel(long version, TensorSet weights, byte[] sha256) {
    }

    public DownloadedModel downloadModel(long version, byte[] expectedSha256) {
        Iterator<ModelChunk> chunks = blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .downloadModel(DownloadModelRequest.newBuilder().setModelVersion(version).build());
        if (!chunks.hasNext()) {
            throw new IllegalStateException("coordinator sent an empty model stream for version " + version);
        }
        ModelChunk first = chunks.next();
        if (!first.hasHeader()) {
            throw new IllegalStateException("coordinator's model stream did not start with a header");
        }
        ModelHeader header = first.getHeader();
        var specs = Wire.fromProto(header.getTensorsList());
        if (header.getTotalBytes() != TensorCodec.byteSize(specs)) {
            throw new IllegalStateException("model header announces " + header.getTotalBytes()
                    + " bytes but its tensors need " + TensorCodec.byteSize(specs));
        }
        ChunkAssembler bytes = new ChunkAssembler(header.getTotalBytes());
        while (chunks.hasNext()) {
            bytes.append(chunks.next().getData());
        }
        if (!bytes.complete()) {
            throw new IllegalStateException("model stream ended after " + bytes.received() + " of "
                    + bytes.expected() + " bytes");
        }
        byte[] sha = bytes.sha256();
        if (!MessageDigest.isEqual(sha, expectedSha256) || !MessageDigest.isEqual(sha, header.getSha256().toByteArray())) {
            throw new IllegalStateException("global model v" + version + " failed its integrity check: received bytes hash to "
                    + Sha256.hex(sha) + ", the task announced " + Sha256.hex(expectedSha256));
        }
        return new DownloadedModel(header.getModelVersion(), TensorCodec.decode(specs, bytes.bytes()), sha);
    }

    /** Sends one delta: its header, then its bytes in chunks of at most 1 MiB. */
    public UploadReceipt upload(int round, long baseVersion, TensorSet delta, long trainingBags, double trainLoss) {
        byte[] bytes = TensorCodec.encode(delta);
        byte[] sha = Sha256.of(bytes);
        UpdateHeader header = UpdateHeader.newBuilder()
                .setRound(round)
                .setBaseModelVersion(baseVersion)
                .setDeltaSha256(ByteString.copyFrom(sha))
                .setNumTrainingBags(trainingBags)
                .setTrainLoss(trainLoss)
                .addAllTensors(Wire.toProto(delta.specs()))
                .setTotalBytes(bytes.length)
                .build();
        return uploadRaw(header, Wire.chunks(bytes));
    }

    /** Sends a header and data chunks exactly as given; the agent uses {@link #upload}, tests use this to misbehave. */
    public UploadReceipt uploadRaw(UpdateHeader header, List<ByteString> chunks) {
        CompletableFuture<UploadReceipt> receipt = new CompletableFuture<>();
        StreamObserver<UpdateChunk> requests = async.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .uploadUpdate(new StreamObserver<>() {
                    @Override
                    public void onNext(UploadReceipt value) {
                        receipt.complete(value);
                    }

                    @Override
                    public void onError(Throwable t) {
                        receipt.completeExceptionally(t);
                    }

                    @Override
                    public void onCompleted() {
                        receipt.completeExceptionally(Status.INTERNAL
                                .withDescription("coordinator closed the upload without a receipt").asRuntimeException());
                    }
                });
        requests.onNext(UpdateChunk.newBuilder().setHeader(header).build());
        for (ByteString chunk : chunks) {
            if (receipt.isDone()) {
                break;
            }
            requests.onNext(UpdateChunk.newBuilder().setData(chunk).build());
        }
        requests.onCompleted();
        try {
            return receipt.get(RPC_TIMEOUT_SECONDS + 5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw s;
            }
            throw Status.fromThrowable(e.getCause()).asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("no receipt for the upload").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted while uploading").asRuntimeException();
        }
    }

    public void reportEvaluation(EvaluationReport report) {
        blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS).reportEvaluation(report);
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdown();
        if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
            channel.shutdownNow();
        }
    }
}
