package org.fedmil.site.agent;

import com.google.protobuf.ByteString;
import io.grpc.ChannelCredentials;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import io.grpc.ClientInterceptor;
import org.fedmil.audit.PrivacyClaim;
import org.fedmil.config.TlsFiles;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.LeaveRequest;
import org.fedmil.protocol.LeaveReason;
import org.fedmil.site.audit.CoordinatorIdentity;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.NextTaskRequest;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.proto.v1.UploadStatusReply;
import org.fedmil.proto.v1.UploadStatusRequest;
import org.fedmil.protocol.Wire;
import org.fedmil.site.outbound.UpdateHeaders;
import org.fedmil.site.outbound.WireBytes;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tls.ClientHandshakeDeadline;
import org.fedmil.tls.MutualTls;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The site's side of the protocol over one mutual-TLS channel to the coordinator. */
public final class CoordinatorClient implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CoordinatorClient.class);

    /**
     * Deadline of every call but the long poll, which gets its hold time on top, and the model download and the
     * upload, which have idle limits of this length instead.
     */
    static final long RPC_TIMEOUT_SECONDS = 120;

    /** How long a model download may go without receiving a byte before it is given up. */
    private volatile Duration downloadIdleLimit = Duration.ofSeconds(RPC_TIMEOUT_SECONDS);

    /**
     * How long an upload may go without the coordinator taking a chunk (or, after the last, answering) before the
     * stream is given up and resumed: an idle limit, not a deadline, so a large delta on a slow link is never cut off
     * while it moves.
     */
    private volatile Duration uploadIdleLimit = Duration.ofSeconds(RPC_TIMEOUT_SECONDS);

    /** How long one TLS handshake may take unless site.yaml says otherwise (coordinator.handshake_timeout_seconds). */
    public static final int HANDSHAKE_SECONDS = ClientHandshakeDeadline.DEFAULT_SECONDS;

    private final AtomicLong dataBytesSent = new AtomicLong();
    private volatile int chunkBytes = Wire.MAX_CHUNK_BYTES;

    private final ManagedChannel channel;
    private final FederationGrpc.FederationBlockingStub blocking;
    private final FederationGrpc.FederationStub async;

    private final java.security.PrivateKey siteKey;
    private final CoordinatorIdentity coordinator;
    private volatile String federationId = "";
    private volatile String siteId = "";

    public CoordinatorClient(String host, int port, TlsFiles tls) {
        this(host, port, tls, new CoordinatorIdentity(null));
    }

    /**
     * @param coordinator told of (and, with a pin, refusing) the coordinator certificate of every handshake
     * @param interceptors see every call first (the egress recorder)
     */
    public CoordinatorClient(String host, int port, TlsFiles tls, CoordinatorIdentity coordinator,
                             ClientInterceptor... interceptors) {
        this(host, port, tls, Duration.ofSeconds(HANDSHAKE_SECONDS), coordinator, interceptors);
    }

    /** @param handshakeTimeout how long one TLS handshake may take before the attempt fails as a handshake timeout */
    public CoordinatorClient(String host, int port, TlsFiles tls, Duration handshakeTimeout,
                             CoordinatorIdentity coordinator, ClientInterceptor... interceptors) {
        ChannelCredentials credentials = MutualTls.channelCredentials(tls.cert(), tls.key(), tls.ca(), coordinator);
        this.coordinator = coordinator;
        this.siteKey = PemFiles.readPrivateKey(tls.key());
        this.channel = ClientHandshakeDeadline.channelBuilder(host, port, credentials, handshakeTimeout)
                .intercept(interceptors)
                .maxInboundMessageSize(Wire.MAX_CHUNK_BYTES + 64 * 1024)
                // notice a dead link during a long upload or poll; the coordinator permits pings every 20 s
                .keepAliveTime(30, TimeUnit.SECONDS)
                .keepAliveTimeout(10, TimeUnit.SECONDS)
                .build();
        this.blocking = FederationGrpc.newBlockingStub(channel);
        this.async = FederationGrpc.newStub(channel);
    }

    /** For tests: another idle limit of model downloads. */
    CoordinatorClient withDownloadIdleLimit(Duration limit) {
        this.downloadIdleLimit = limit;
        return this;
    }

    /** For tests: another idle limit of uploads. */
    CoordinatorClient withUploadIdleLimit(Duration limit) {
        this.uploadIdleLimit = limit;
        return this;
    }

    public JoinResponse join(JoinRequest request) {
        JoinResponse joined = blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS).join(request);
        // what this site signs for its updates names the federation and itself as the coordinator knows them
        federationId = joined.getFederationId();
        siteId = joined.getSiteId();
        return joined;
    }

    /**
     * Opens the connection (and so runs the TLS handshake, where a pinned coordinator fingerprint is checked)
     * before any request is described or sent; returns when connected, refused, or after {@code timeout}.
     */
    public void connect(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        io.grpc.ConnectivityState state = channel.getState(true);
        while (state != io.grpc.ConnectivityState.READY && coordinator.pinRefusal().isEmpty()) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return;
            }
            java.util.concurrent.CountDownLatch changed = new java.util.concurrent.CountDownLatch(1);
            channel.notifyWhenStateChanged(state, changed::countDown);
            changed.await(left, TimeUnit.NANOSECONDS);
            state = channel.getState(true);
        }
    }

    /** The coordinator as the handshakes saw it. */
    public CoordinatorIdentity coordinator() {
        return coordinator;
    }

    /**
     * {@code header} with the site's signature over its update statement (federation and site as the last Join
     * answered), made with the key of the certificate this client connects with.
     */
    public UpdateHeader sign(UpdateHeader header) {
        if (federationId.isEmpty()) {
            throw new IllegalStateException("join before uploading: the update statement names the federation");
        }
        return sign(header, federationId, siteId);
    }

    /** {@code header} signed as this site's update to {@code federationId} under the name {@code site}. */
    public UpdateHeader sign(UpdateHeader header, String federationId, String site) {
        return header.toBuilder()
                .setSiteSignature(ByteString.copyFrom(UpdateHeaders.signature(header, siteKey, federationId, site)))
                .build();
    }

    /**
     * Tells the coordinator this site leaves, and why; the round log records it, so no absolute path may be in it
     * (it is redacted here as the last guard; callers also take out the site's configured folders).
     */
    public void leave(String reason) {
        blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS)
                .leave(LeaveRequest.newBuilder().setReason(LeaveReason.redact(reason)).build());
    }

    public Task nextTask(int maxWaitMs) {
        return blocking.withDeadlineAfter(maxWaitMs + RPC_TIMEOUT_SECONDS * 1000L, TimeUnit.MILLISECONDS)
                .nextTask(NextTaskRequest.newBuilder().setMaxWaitMs(maxWaitMs).build());
    }

    /** A global model whose bytes were checked against the SHA-256 the task announced. */
    public record DownloadedModel(long version, TensorSet weights, byte[] sha256) {
    }

    /**
     * Downloads global model {@code version}. No fixed deadline: a large model over a slow link takes as long as it
     * takes, and the download gives up only when no bytes have arrived for {@link #downloadIdleLimit} (downloads do
     * not resume, so a fixed deadline would make a model above a link's capacity in that time unreachable).
     */
    public DownloadedModel downloadModel(long version, byte[] expectedSha256) {
        return downloadModel(version, expectedSha256, DownloadSink.NONE);
    }

    /**
     * As {@link #downloadModel(long, byte[])}, decoding the bytes into the model's tensors as they arrive (the site
     * holds the tensors and one chunk, never the whole byte form beside them) and handing them to {@code sink} too,
     * which is told the download completed only after the SHA-256 check passed.
     */
    public DownloadedModel downloadModel(long version, byte[] expectedSha256, DownloadSink sink) {
        try (IdleDeadline idle = new IdleDeadline(downloadIdleLimit); sink) {
            try {
                return idle.context().call(() -> receiveModel(version, expectedSha256, idle, sink));
            } catch (StatusRuntimeException e) {
                if (idle.fired()) {
                    throw Status.DEADLINE_EXCEEDED.withDescription("no bytes of global model v" + version
                            + " arrived for " + downloadIdleLimit.toSeconds() + " s; the download is tried again")
                            .withCause(e).asRuntimeException();
                }
                throw e;
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("model download v" + version + " failed", e);
            }
        }
    }

    private DownloadedModel receiveModel(long version, byte[] expectedSha256, IdleDeadline idle, DownloadSink sink) {
        Iterator<ModelChunk> chunks = blocking.downloadModel(DownloadModelRequest.newBuilder().setModelVersion(version)
                .build());
        return ModelStream.receive(chunks, version, expectedSha256, idle::progressed, sink);
    }

    /**
     * Sends one delta: its header, then its bytes in chunks of at most 1 MiB. When the stream breaks (the link
     * drops, the coordinator restarts) it asks the coordinator how many bytes it holds and sends only the rest,
     * with exponential backoff between attempts, until {@code patience} has passed. A retry of an upload the
     * coordinator already accepted returns the original receipt. No fixed deadline: a stream is given up (and
     * resumed) only when the coordinator takes no bytes for {@link #uploadIdleLimit}, so a large delta on a slow link
     * is not cut off while it moves.
     */
    public UploadReceipt upload(int round, long baseVersion, byte[] baseSha256, TensorSet delta, long trainingBags,
                                double trainLoss, java.util.Optional<PrivacyClaim> privacy, Duration patience)
            throws InterruptedException {
        return upload(round, baseVersion, baseSha256, delta.specs(), DeltaEncoding.FLOAT32, TensorCodec.encode(delta),
                trainingBags, trainLoss, privacy, patience);
    }

    /**
     * As above, for a delta already encoded: the caller encodes once per trained update (error feedback must not
     * run again on a retry), and the header's hash and size, which the site signs and its egress log records, are
     * of exactly these bytes.
     */
    public UploadReceipt upload(int round, long baseVersion, byte[] baseSha256, java.util.List<TensorSpec> specs,
                                DeltaEncoding encoding, byte[] bytes, long trainingBags, double trainLoss,
                                java.util.Optional<PrivacyClaim> privacy, Duration patience)
            throws InterruptedException {
        UpdateHeader header = UpdateHeaders.plain(round, baseVersion, baseSha256, specs, encoding, bytes, trainingBags,
                trainLoss, privacy);
        return resumableUpload(sign(header), bytes, patience);
    }

    /** An upload without DP that gives up at the first broken stream. */
    public UploadReceipt upload(int round, long baseVersion, byte[] baseSha256, TensorSet delta, long trainingBags,
                                double trainLoss) {
        try {
            return upload(round, baseVersion, baseSha256, delta, trainingBags, trainLoss, java.util.Optional.empty(),
                    Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted while uploading").asRuntimeException();
        }
    }

    /**
     * Sends {@code bytes} under {@code header}, starting from what the coordinator already holds of this upload
     * (an earlier, broken stream of this process or of one before a restart) and resuming the same way after
     * every broken stream, until {@code patience} has passed.
     */
    public UploadReceipt resumableUpload(UpdateHeader header, byte[] bytes, Duration patience)
            throws InterruptedException {
        return resumableUpload(header, WireBytes.of(bytes), patience);
    }

    /** As above, for bytes read a chunk at a time as the stream takes them (a float32 delta encoded as it is sent). */
    public UploadReceipt resumableUpload(UpdateHeader header, WireBytes bytes, Duration patience)
            throws InterruptedException {
        long giveUp = System.nanoTime() + patience.toNanos();
        Backoff backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));
        long acknowledged = 0;
        while (true) {
            try {
                UploadStatusReply status = uploadStatus(header.getRound(), header.getDeltaSha256().toByteArray());
                if (status.getAccepted()) {
                    return status.getReceipt();
                }
                long from = status.getAcknowledgedBytes();
                if (from > acknowledged) {
                    // the last stream made progress before it broke: a link that drops now and then is not a
                    // coordinator that is away, so the next break waits briefly again
                    backoff = new Backoff(Duration.ofMillis(200), Duration.ofSeconds(10));
                    acknowledged = from;
                }
                if (from > 0) {
                    log.info("resuming the upload of round {} at byte {} of {}", header.getRound(), from, bytes.size());
                }
                return uploadFrom(header, bytes, from);
            } catch (StatusRuntimeException e) {
                if (!Retry.isTransient(e.getStatus().getCode()) || System.nanoTime() > giveUp) {
                    throw e;
                }
                Duration pause = backoff.next();
                log.info("upload of round {} broke off ({}); asking where to resume in {} ms", header.getRound(),
                        ConnectionProblem.brief(e), pause.toMillis());
                log.debug("upload of round {} broke off", header.getRound(), e);
                Thread.sleep(pause.toMillis());
            }
        }
    }

    private UploadReceipt uploadFrom(UpdateHeader header, WireBytes bytes, long from) {
        int size = chunkBytes;
        // chunks are made as the stream can take them, so a large delta is never copied whole into the queue
        Iterable<UpdateChunk> chunks = () -> new Iterator<>() {
            private long off = from;

            @Override
            public boolean hasNext() {
                return off < bytes.size();
            }

            @Override
            public UpdateChunk next() {
                int n = (int) Math.min(size, bytes.size() - off);
                UpdateChunk c = UpdateChunk.newBuilder().setOffset(off).setData(bytes.piece(off, n)).build();
                off += n;
                return c;
            }
        };
        return uploadChunks(header, chunks, false);
    }

    /** Sends a header and data chunks at consecutive offsets from 0; tests use this to misbehave. */
    public UploadReceipt uploadRaw(UpdateHeader header, List<ByteString> chunks) {
        List<UpdateChunk> out = new ArrayList<>();
        long off = 0;
        for (ByteString c : chunks) {
            out.add(UpdateChunk.newBuilder().setOffset(off).setData(c).build());
            off += c.size();
        }
        return uploadChunks(header, out, false);
    }

    /**
     * Sends a header and then these chunks exactly as given (offsets included). With {@code breakOff} the stream
     * is cancelled after the last chunk instead of being completed, as when the site dies mid-upload; the
     * call then throws CANCELLED.
     */
    public UploadReceipt uploadChunks(UpdateHeader header, Iterable<UpdateChunk> chunks, boolean breakOff) {
        Duration limit = uploadIdleLimit;
        try (IdleDeadline idle = new IdleDeadline(limit)) {
            try {
                return sendChunks(header, chunks, breakOff, idle);
            } catch (StatusRuntimeException e) {
                if (idle.fired()) {
                    throw Status.DEADLINE_EXCEEDED.withDescription("the coordinator took no bytes of the round "
                            + header.getRound() + " upload, and gave no answer, for " + limit.toSeconds()
                            + " s; a resumable upload resumes from what the coordinator holds").withCause(e)
                            .asRuntimeException();
                }
                throw e;
            }
        }
    }

    /**
     * The stream of {@link #uploadChunks}, started in {@code idle}'s context: every chunk the stream takes (HTTP/2
     * flow control let it go, so the coordinator consumed earlier bytes) restarts the idle time, and the receipt
     * must come within the idle limit of the last chunk.
     */
    private UploadReceipt sendChunks(UpdateHeader header, Iterable<UpdateChunk> chunks, boolean breakOff,
                                     IdleDeadline idle) {
        CompletableFuture<UploadReceipt> receipt = new CompletableFuture<>();
        Object ready = new Object();
        ClientResponseObserver<UpdateChunk, UploadReceipt> responses = new ClientResponseObserver<>() {
            @Override
            public void beforeStart(ClientCallStreamObserver<UpdateChunk> requests) {
                requests.setOnReadyHandler(() -> {
                    synchronized (ready) {
                        ready.notifyAll();
                    }
                });
            }

            @Override
            public void onNext(UploadReceipt value) {
                receipt.complete(value);
            }

            @Override
            public void onError(Throwable t) {
                receipt.completeExceptionally(t);
                synchronized (ready) {
                    ready.notifyAll();
                }
            }

            @Override
            public void onCompleted() {
                receipt.completeExceptionally(Status.INTERNAL
                        .withDescription("coordinator closed the upload without a receipt").asRuntimeException());
            }
        };
        ClientCallStreamObserver<UpdateChunk> requests;
        Context previous = idle.context().attach();
        try {
            // started in the idle deadline's context, which cancels it when the stream stops moving
            requests = (ClientCallStreamObserver<UpdateChunk>) async.uploadUpdate(responses);
        } finally {
            idle.context().detach(previous);
        }
        requests.onNext(UpdateChunk.newBuilder().setHeader(header).build());
        for (UpdateChunk chunk : chunks) {
            // respect HTTP/2 flow control: hand a chunk to gRPC only when the stream can take it, so that what
            // is "sent" is what went on the wire, and a slow link does not pile the delta up in memory
            synchronized (ready) {
                while (!requests.isReady() && !receipt.isDone()) {
                    try {
                        ready.wait(1_000);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        requests.cancel("interrupted", e);
                        throw Status.CANCELLED.withDescription("interrupted while uploading").asRuntimeException();
                    }
                }
            }
            if (receipt.isDone()) {
                break;
            }
            requests.onNext(chunk);
            idle.progressed();
            dataBytesSent.addAndGet(chunk.getData().size());
        }
        if (breakOff) {
            requests.onError(Status.CANCELLED.withDescription("upload broken off by the sender").asRuntimeException());
        } else {
            requests.onCompleted();
        }
        try {
            // the idle deadline cancels the call, and so ends this wait, when no receipt comes; the bound is a net
            return receipt.get(2 * uploadIdleLimit.toMillis() + 5_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof StatusRuntimeException s) {
                throw s;
            }
            throw Status.fromThrowable(e.getCause()).asRuntimeException();
        } catch (TimeoutException e) {
            requests.cancel("no receipt", null);
            throw Status.DEADLINE_EXCEEDED.withDescription("no receipt for the upload").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted while uploading").asRuntimeException();
        }
    }

    /** Where the coordinator stands on an upload: bytes held, or its receipt if it was accepted. */
    public UploadStatusReply uploadStatus(int round, byte[] sha256) {
        return blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS).uploadStatus(
                UploadStatusRequest.newBuilder().setRound(round).setDeltaSha256(ByteString.copyFrom(sha256)).build());
    }

    /** Data bytes this client has put on upload streams so far, resent ones included. */
    public long dataBytesSent() {
        return dataBytesSent.get();
    }

    /** Data chunk size for uploads (at most 1 MiB); smaller in tests so a small model spans many chunks. */
    public CoordinatorClient withChunkBytes(int bytes) {
        if (bytes < 1 || bytes > Wire.MAX_CHUNK_BYTES) {
            throw new IllegalArgumentException("chunk size " + bytes + " is outside 1.." + Wire.MAX_CHUNK_BYTES);
        }
        this.chunkBytes = bytes;
        return this;
    }

    // --- secure aggregation (docs/secure-aggregation.md) ---

    public void advertiseKeys(org.fedmil.proto.v1.SecAggKeys keys) {
        blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS).advertiseKeys(keys);
    }

    public void shareKeys(org.fedmil.proto.v1.SecAggShares shares) {
        blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS).shareKeys(shares);
    }

    public void signSurvivors(org.fedmil.proto.v1.SecAggSurvivorSignature signature) {
        blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS).signSurvivors(signature);
    }

    public void unmask(org.fedmil.proto.v1.SecAggUnmaskShares shares) {
        blocking.withDeadlineAfter(RPC_TIMEOUT_SECONDS, TimeUnit.SECONDS).unmask(shares);
    }

    /**
     * Sends a securely aggregated round's masked delta (one little-endian int64 per coordinate) through the same
     * resumable, signed upload as a plain delta: the header's hash and size, which the site signs and its egress
     * log records, are of the masked bytes.
     */
    public UploadReceipt uploadMasked(int round, long baseVersion, byte[] baseSha256, java.util.List<TensorSpec> specs,
                                      byte[] masked, int fractionalBits, long trainingBags, double trainLoss,
                                      java.util.Optional<PrivacyClaim> privacy, Duration patience)
            throws InterruptedException {
        UpdateHeader header = UpdateHeaders.masked(round, baseVersion, baseSha256, specs, masked, fractionalBits,
                trainingBags, trainLoss, privacy);
        return resumableUpload(sign(header), masked, patience);
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
