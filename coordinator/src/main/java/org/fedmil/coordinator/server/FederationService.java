package org.fedmil.coordinator.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationException;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.round.SiteEvaluation;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.EvaluationAck;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.fedmil.proto.v1.LeaveAck;
import org.fedmil.proto.v1.LeaveRequest;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.ModelHeader;
import org.fedmil.proto.v1.NextTaskRequest;
import org.fedmil.proto.v1.SecAggAck;
import org.fedmil.proto.v1.SecAggKeys;
import org.fedmil.proto.v1.SecAggShares;
import org.fedmil.proto.v1.SecAggUnmaskShares;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.proto.v1.UploadStatusReply;
import org.fedmil.proto.v1.UploadStatusRequest;
import org.fedmil.protocol.FlowControlledSender;
import org.fedmil.protocol.LeaveReason;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.protocol.FineTuneWire;
import org.fedmil.protocol.Wire;
import org.fedmil.tls.PeerIdentity;

/**
 * The protocol's service, kept thin: it maps messages onto {@link FederationRun} and its refusals onto gRPC
 * statuses; an upload stream is an {@link UpdateUpload}, a task message is made by {@link TaskMessages}. The
 * caller's site id always comes from its verified client certificate.
 */
public final class FederationService extends FederationGrpc.FederationImplBase implements AutoCloseable {

    static final Duration MAX_HOLD = Duration.ofSeconds(30);

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(FederationService.class);

    private final FederationRun run;
    /** The newest model version whose first download was logged: where a round's time goes (docs/benchmarks.md). */
    private final java.util.concurrent.atomic.AtomicLong firstServed = new java.util.concurrent.atomic.AtomicLong(-1);
    private final CoordinatorConfig.Limits limits;
    private final UploadSpool spool;
    private final Receipts receipts;
    private final LongPolls polls;

    /** @param spoolDir where uploads are spooled as they arrive (the state folder's uploads/) */
    public FederationService(FederationRun run, CoordinatorConfig.Limits limits, java.nio.file.Path spoolDir,
                             AuditTrail audit) {
        this.run = run;
        this.limits = limits;
        this.spool = new UploadSpool(spoolDir);
        this.receipts = new Receipts(audit);
        this.polls = new LongPolls(run, new TaskMessages(run, audit)::toProto);
    }

    /** Ends the held long polls, so that the server stops without waiting out their holds. */
    @Override
    public void close() throws InterruptedException {
        polls.close();
    }

    @Override
    public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
        join(request, response, false);
    }

    /** {@code fedmil site check}: the checks of a join, answered as a join would be, with nothing changed. */
    @Override
    public void checkJoin(JoinRequest request, StreamObserver<JoinResponse> response) {
        join(request, response, true);
    }

    private void join(JoinRequest request, StreamObserver<JoinResponse> response, boolean checkOnly) {
        String site = PeerIdentity.current().commonName();
        try {
            java.security.cert.X509Certificate cert = PeerIdentity.current().certificate();
            String federation = run.join(site, JoinDeclaration.of(request, site, cert,
                    PemFiles.encodeCertificate(cert), checkOnly));
            JoinResponse.Builder joined = JoinResponse.newBuilder().setSiteId(site).setFederationId(federation)
                    .setTotalRounds(run.plan().rounds())
                    .setFeatureEncoderSha256(run.plan().featureEncoderSha256());
            run.plan().encoderBlock().ifPresent(b -> joined.setEncoderFineTune(FineTuneWire.toProto(b)));
            response.onNext(joined.build());
            response.onCompleted();
        } catch (FederationException e) {
            response.onError(e.toStatus());
        }
    }

    @Override
    public void nextTask(NextTaskRequest request, StreamObserver<org.fedmil.proto.v1.Task> response) {
        String site = PeerIdentity.current().commonName();
        Duration hold = Duration.ofMillis(Math.max(0, request.getMaxWaitMs()));
        if (hold.compareTo(MAX_HOLD) > 0) {
            hold = MAX_HOLD;
        }
        // held without a thread: a site waiting for the next round costs the coordinator no executor thread
        polls.poll(site, hold, response);
    }

    @Override
    public void downloadModel(DownloadModelRequest request, StreamObserver<ModelChunk> response) {
        GlobalModel model;
        try {
            run.requireJoined(PeerIdentity.current().commonName());
            model = run.model(request.getModelVersion());
        } catch (FederationException e) {
            response.onError(e.toStatus());
            return;
        }
        ModelChunk header = ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder()
                .setModelVersion(model.version())
                .setSha256(ByteString.copyFrom(model.sha256()))
                .addAllTensors(Wire.toProto(model.specs()))
                .setTotalBytes(model.byteSize())
                .setModel(FineTuneWire.toProto(model.spec(), run.plan().encoderBlock()))).build();
        // encoded a chunk at a time from the model's weights, which are never changed once made: no whole copy of
        // the model per download; sent as the site reads them, so that a slow site does not make the coordinator
        // buffer the whole model (FlowControlledSender)
        long served = firstServed.get();
        if (model.version() > served && firstServed.compareAndSet(served, model.version())) {
            log.info("model v{}: first download started", model.version());
        }
        org.fedmil.coordinator.round.ModelChunks chunks = new org.fedmil.coordinator.round.ModelChunks(
                model.weights(), ServerBuffers.DOWNLOAD_CHUNK_BYTES);
        FlowControlledSender.start(response, java.util.stream.Stream.concat(java.util.stream.Stream.of(header),
                java.util.stream.Stream.generate(() -> ModelChunk.newBuilder().setData(chunks.next()).build())
                        .limit((model.byteSize() + ServerBuffers.DOWNLOAD_CHUNK_BYTES - 1)
                                / ServerBuffers.DOWNLOAD_CHUNK_BYTES)).iterator());
    }

    @Override
    public void uploadStatus(UploadStatusRequest request, StreamObserver<UploadStatusReply> response) {
        String site = PeerIdentity.current().commonName();
        byte[] sha = request.getDeltaSha256().toByteArray();
        try {
            run.requireJoined(site);
        } catch (FederationException e) {
            response.onError(e.toStatus());
            return;
        }
        UploadStatusReply.Builder reply = UploadStatusReply.newBuilder();
        run.accepted(site, request.getRound(), sha).ifPresentOrElse(
                ok -> reply.setAccepted(true).setAcknowledgedBytes(run.expectedUpdateBytes(request.getRound()))
                        .setReceipt(receipts.of(site, ok, request.getDeltaSha256())),
                () -> reply.setAcknowledgedBytes(spool.held(UploadSpool.Key.of(site, request.getRound(), sha))));
        response.onNext(reply.build());
        response.onCompleted();
    }

    @Override
    public StreamObserver<UpdateChunk> uploadUpdate(StreamObserver<UploadReceipt> response) {
        PeerIdentity peer = PeerIdentity.current();
        return new UpdateUpload(peer.commonName(), peer.certificate(), run, limits, spool, receipts, response);
    }

    @Override
    public void reportEvaluation(EvaluationReport request, StreamObserver<EvaluationAck> response) {
        String site = PeerIdentity.current().commonName();
        try {
            run.reportEvaluation(site, new SiteEvaluation(request.getModelVersion(), new BinaryMetrics(
                    (int) request.getBags(), request.getAuc(), request.getAccuracy(), request.getSensitivity(),
                    request.getSpecificity(), request.getLoss()), org.fedmil.protocol.ValidationWire.of(request)));
            response.onNext(EvaluationAck.getDefaultInstance());
            response.onCompleted();
        } catch (FederationException e) {
            response.onError(e.toStatus());
        } catch (IllegalArgumentException e) {
            response.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("the evaluation report's validation: "
                    + e.getMessage() + "; send the site's validation aggregates as measured, or none")
                    .asRuntimeException());
        }
    }

    // --- secure aggregation (docs/secure-aggregation.md): the site is always the certificate's, never the message's

    @Override
    public void advertiseKeys(SecAggKeys request, StreamObserver<SecAggAck> response) {
        PeerIdentity peer = PeerIdentity.current();
        byte[] cert;
        try {
            cert = peer.certificate().getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            response.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("the certificate of " + peer
                    + " cannot be encoded for the key roster: " + e.getMessage()).asRuntimeException());
            return;
        }
        // the roster relays the certificate the handshake proved, so every site can check the signature itself
        secAgg(response, () -> run.secAggAdvertise(peer.commonName(), request.getRound(),
                SecAggWire.fromProto(peer.commonName(), cert, withText(request))));
    }

    @Override
    public void signSurvivors(org.fedmil.proto.v1.SecAggSurvivorSignature request,
                              StreamObserver<SecAggAck> response) {
        PeerIdentity peer = PeerIdentity.current();
        byte[] cert;
        try {
            cert = peer.certificate().getEncoded();
        } catch (java.security.cert.CertificateEncodingException e) {
            response.onError(io.grpc.Status.INVALID_ARGUMENT.withDescription("the certificate of " + peer
                    + " cannot be encoded for the consistency round: " + e.getMessage()).asRuntimeException());
            return;
        }
        secAgg(response, () -> {
            SiteText.SIGNATURE.require(request.getSignature());
            run.secAggSignSurvivors(peer.commonName(), request.getRound(),
                    SecAggWire.fromProto(peer.commonName(), cert, request));
        });
    }

    @Override
    public void shareKeys(SecAggShares request, StreamObserver<SecAggAck> response) {
        String site = PeerIdentity.current().commonName();
        secAgg(response, () -> run.secAggShare(site, request.getRound(), SecAggWire.fromProto(site,
                withText(request))));
    }

    @Override
    public void unmask(SecAggUnmaskShares request, StreamObserver<SecAggAck> response) {
        String site = PeerIdentity.current().commonName();
        secAgg(response, () -> run.secAggUnmask(site, request.getRound(), SecAggWire.fromProto(site,
                withText(request))));
    }

    private static SecAggKeys withText(SecAggKeys m) {
        SiteText.SIGNATURE.require(m.getSignature());
        return m;
    }

    private static SecAggShares withText(SecAggShares m) {
        m.getSharesList().forEach(s -> {
            SiteText.SITE_NAME.require(s.getFromSite());
            SiteText.SITE_NAME.require(s.getToSite());
        });
        return m;
    }

    private static SecAggUnmaskShares withText(SecAggUnmaskShares m) {
        m.getSelfMaskSharesList().forEach(s -> SiteText.SITE_NAME.require(s.getOwner()));
        m.getMaskingKeySharesList().forEach(s -> SiteText.SITE_NAME.require(s.getOwner()));
        return m;
    }

    private static void secAgg(StreamObserver<SecAggAck> response, Runnable call) {
        try {
            call.run();
            response.onNext(SecAggAck.getDefaultInstance());
            response.onCompleted();
        } catch (FederationException e) {
            response.onError(e.toStatus());
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription(e.getMessage()).asRuntimeException());
        }
    }

    @Override
    public void leave(LeaveRequest request, StreamObserver<LeaveAck> response) {
        String site = PeerIdentity.current().commonName();
        try {
            // bounded: the reason goes into the round log
            String reason = LeaveReason.redact(SiteText.LEAVE_REASON.require(request.getReason()));
            run.leave(site, reason.isBlank() ? "no reason given" : reason);
            response.onNext(LeaveAck.getDefaultInstance());
            response.onCompleted();
        } catch (FederationException e) {
            response.onError(e.toStatus());
        }
    }
}
