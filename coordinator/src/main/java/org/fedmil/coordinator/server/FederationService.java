package org.fedmil.coordinator.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationException;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.GlobalModel;
import org.fedmil.coordinator.audit.AuditTrail;
import org.fedmil.coordinator.round.IncomingUpdate;
import org.fedmil.coordinator.round.SignedUpdate;
import org.fedmil.pki.PemFiles;
import org.fedmil.proto.v1.DifferentialPrivacy;
import org.fedmil.proto.v1.LeaveAck;
import org.fedmil.proto.v1.LeaveRequest;
import org.fedmil.proto.v1.SignedLogHead;
import org.fedmil.util.Sha256;
import org.fedmil.coordinator.round.SiteEvaluation;
import org.fedmil.coordinator.round.SiteJoin;
import org.fedmil.coordinator.round.Task;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.mil.eval.BinaryMetrics;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.EvaluateTask;
import org.fedmil.proto.v1.EvaluationAck;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.JoinResponse;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.ModelHeader;
import org.fedmil.proto.v1.NextTaskRequest;
import org.fedmil.proto.v1.StopTask;
import org.fedmil.proto.v1.TrainTask;
import org.fedmil.proto.v1.PretrainTask;
import org.fedmil.proto.v1.ContrastivePretraining;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.proto.v1.UploadStatusReply;
import org.fedmil.proto.v1.UploadStatusRequest;
import org.fedmil.proto.v1.WaitTask;
import org.fedmil.protocol.FlowControlledSender;
import org.fedmil.protocol.SecAggWire;
import org.fedmil.protocol.Wire;
import org.fedmil.proto.v1.SecAggAck;
import org.fedmil.proto.v1.SecAggAdvertiseTask;
import org.fedmil.proto.v1.SecAggKeys;
import org.fedmil.proto.v1.SecAggMaskTask;
import org.fedmil.proto.v1.SecAggShareTask;
import org.fedmil.proto.v1.SecAggShares;
import org.fedmil.proto.v1.SecAggUnmaskShares;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.tls.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The protocol's service, kept thin: it maps messages onto {@link FederationRun} and its refusals onto gRPC
 * statuses. The caller's site id always comes from its verified client certificate.
 */
public final class FederationService extends FederationGrpc.FederationImplBase implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(FederationService.class);
    static final Duration MAX_HOLD = Duration.ofSeconds(30);

    private final FederationRun run;
    private final CoordinatorConfig.Limits limits;
    private final UploadSpool spool;
    private final AuditTrail audit;
    private final LongPolls polls;

    /** @param spoolDir where uploads are spooled as they arrive (the state folder's uploads/) */
    public FederationService(FederationRun run, CoordinatorConfig.Limits limits, java.nio.file.Path spoolDir,
                             AuditTrail audit) {
        this.run = run;
        this.audit = audit;
        this.limits = limits;
        this.spool = new UploadSpool(spoolDir);
        this.polls = new LongPolls(run, this::toProto);
    }

    /** Ends the held long polls, so that the server stops without waiting out their holds. */
    @Override
    public void close() throws InterruptedException {
        polls.close();
    }

    @Override
    public void join(JoinRequest request, StreamObserver<JoinResponse> response) {
        String site = PeerIdentity.current().commonName();
        Map<Integer, Long> counts = new LinkedHashMap<>();
        for (LabelCount c : request.getBagsPerLabelList()) {
            counts.merge(c.getLabel(), c.getBags(), Long::sum);
        }
        try {
            String federation = run.join(site, new SiteJoin(request.getSoftwareVersion(), request.getDevice(), counts,
                    PemFiles.encodeCertificate(PeerIdentity.current().certificate())));
            response.onNext(JoinResponse.newBuilder().setSiteId(site).setFederationId(federation)
                    .setTotalRounds(run.plan().rounds()).build());
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

    private org.fedmil.proto.v1.Task toProto(Task task) {
        org.fedmil.proto.v1.Task.Builder b = org.fedmil.proto.v1.Task.newBuilder();
        if (task instanceof Task.Train t) {
            b.setTrain(trainTask(t));
        } else if (task instanceof Task.SecAggAdvertise a) {
            b.setSecaggAdvertise(SecAggAdvertiseTask.newBuilder().setParameters(SecAggWire.toProto(a.parameters())));
        } else if (task instanceof Task.SecAggShare sh) {
            SecAggShareTask.Builder share = SecAggShareTask.newBuilder().setRound(sh.round());
            sh.roster().forEach(k -> share.addRoster(SecAggWire.toProto(k)));
            b.setSecaggShare(share);
        } else if (task instanceof Task.SecAggMask m) {
            TrainTask.Builder train = trainTask(m.train());
            train.setConfig(train.getConfig().toBuilder().setSecureAggregation(SecAggWire.toProto(m.parameters())));
            SecAggMaskTask.Builder mask = SecAggMaskTask.newBuilder().setTrain(train);
            m.shares().forEach(x -> mask.addShares(SecAggWire.toProto(x)));
            b.setSecaggMask(mask);
        } else if (task instanceof Task.SecAggUnmask u) {
            b.setSecaggUnmask(SecAggWire.toProto(u.round(), u.request()));
        } else if (task instanceof Task.Pretrain p) {
            var training = run.plan().training();
            var pre = run.plan().pretraining();
            b.setPretrain(PretrainTask.newBuilder()
                    .setRound(p.round())
                    .setModelVersion(p.model().version())
                    .setModelSha256(ByteString.copyFrom(p.model().sha256()))
                    .setModel(Wire.toProto(p.model().spec()))
                    .setConfig(dp(training, TrainingConfig.newBuilder()
                            .setSeed(training.seed())
                            .setDeltaEncoding(Wire.toProto(training.compression()))
                            .setPretraining(ContrastivePretraining.newBuilder()
                                    .setEpochs(pre.epochs())
                                    .setLearningRate(pre.learningRate())
                                    .setWeightDecay(pre.weightDecay())
                                    .setBatchSize(pre.batchSize())
                                    .setTemperature(pre.temperature())
                                    .setProjectionDim(pre.projectionDim())
                                    .setColourJitter(pre.colourJitter())
                                    .setMaxShift(pre.maxShift())
                                    .setMaxTiles(pre.maxTiles())))));
        } else if (task instanceof Task.Evaluate e) {
            b.setEvaluate(EvaluateTask.newBuilder()
                    .setModelVersion(e.model().version())
                    .setModelSha256(ByteString.copyFrom(e.model().sha256()))
                    .setModel(Wire.toProto(e.model().spec())));
        } else if (task instanceof Task.Wait w) {
            b.setWait(WaitTask.newBuilder().setRetryAfterMs(w.retryAfterMs()).setReason(w.reason()));
        } else if (task instanceof Task.Stop s) {
            b.setStop(StopTask.newBuilder().setReason(s.reason()));
        }
        if (!(task instanceof Task.Wait)) {
            audit.head().ifPresent(h -> b.setLogHead(SignedLogHead.newBuilder().setStatement(h.statement())
                    .setSignature(ByteString.copyFrom(java.util.Base64.getDecoder().decode(h.sig())))));
        }
        return b.build();
    }

    private TrainTask.Builder trainTask(Task.Train t) {
        var training = run.plan().training();
        return TrainTask.newBuilder()
                .setRound(t.round())
                .setModelVersion(t.model().version())
                .setModelSha256(ByteString.copyFrom(t.model().sha256()))
                .setModel(Wire.toProto(t.model().spec()))
                .setConfig(Wire.toProto(training.loss(), schedule(training, t.round(), dp(training,
                        Wire.toProto(training.optimizer(), TrainingConfig.newBuilder())
                        .setLocalEpochs(training.localEpochs())
                        .setBagsPerStep(training.bagsPerStep())
                        .setWeightDecay(training.weightDecay())
                        .setProximalMu(training.proximalMu())
                        .setDeltaEncoding(Wire.toProto(training.compression()))
                        .setPseudoLabelThreshold(training.pseudoLabelThreshold())
                        .setSeed(training.seed())))));
    }

    /**
     * This round's learning rate and, for a schedule, where the round stands in it. Under reduce-on-plateau the
     * rate is decided here from the held-out losses of the rounds completed before {@code round}; the run's
     * history is what a restarted coordinator reads back from metrics.json, so the decision survives a restart.
     */
    private TrainingConfig.Builder schedule(org.fedmil.coordinator.round.FederationPlan.TrainingPlan training,
                                            int round, TrainingConfig.Builder config) {
        // the schedule runs over the supervised rounds only: pretraining rounds 1..P come first, and their held-out
        // losses are of an untrained classifier, so they neither advance the schedule nor count as a plateau
        int pretraining = run.plan().pretrainingRounds();
        double rate = training.roundLearningRate(heldoutLossesBefore(round, pretraining));
        config.setLearningRate(rate);
        if (training.schedule().kind() != org.fedmil.mil.train.LearningRateSchedule.Kind.CONSTANT) {
            config.setSchedule(Wire.toProto(training.schedule(), round - pretraining,
                    run.plan().rounds() - pretraining, training.learningRate()));
        }
        return config;
    }

    private java.util.List<Double> heldoutLossesBefore(int round, int pretrainingRounds) {
        return run.history().stream().filter(r -> r.round() > pretrainingRounds && r.round() < round)
                .map(r -> r.heldout().loss()).toList();
    }

    private static TrainingConfig.Builder dp(org.fedmil.coordinator.round.FederationPlan.TrainingPlan training,
                                             TrainingConfig.Builder config) {
        training.requiredDp().ifPresent(d -> config.setDp(DifferentialPrivacy.newBuilder().setClipNorm(d.clipNorm())
                .setNoiseMultiplier(d.noiseMultiplier())));
        return config;
    }

    @Override
    public void downloadModel(DownloadModelRequest request, StreamObserver<ModelChunk> response) {
        GlobalModel model;
        try {
            model = run.model(request.getModelVersion());
        } catch (FederationException e) {
            response.onError(e.toStatus());
            return;
        }
        ModelChunk header = ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder()
                .setModelVersion(model.version())
                .setSha256(ByteString.copyFrom(model.sha256()))
                .addAllTensors(Wire.toProto(model.weights().specs()))
                .setTotalBytes(model.bytes().length)
                .setModel(Wire.toProto(model.spec()))).build();
        // the model's bytes are never changed once made, so the chunks may share them; sent as the site reads
        // them, so that a slow site does not make the coordinator buffer the whole model (FlowControlledSender)
        FlowControlledSender.start(response, java.util.stream.Stream.concat(java.util.stream.Stream.of(header),
                Wire.sharedChunks(model.bytes()).stream().map(c -> ModelChunk.newBuilder().setData(c).build()))
                .iterator());
    }

    @Override
    public void uploadStatus(UploadStatusRequest request, StreamObserver<UploadStatusReply> response) {
        String site = PeerIdentity.current().commonName();
        byte[] sha = request.getDeltaSha256().toByteArray();
        UploadStatusReply.Builder reply = UploadStatusReply.newBuilder();
        run.accepted(site, request.getRound(), sha).ifPresentOrElse(
                ok -> reply.setAccepted(true).setAcknowledgedBytes(run.expectedUpdateBytes(request.getRound()))
                        .setReceipt(receipt(site, ok, request.getDeltaSha256())),
                () -> reply.setAcknowledgedBytes(spool.held(UploadSpool.Key.of(site, request.getRound(), sha))));
        response.onNext(reply.build());
        response.onCompleted();
    }

    private UploadReceipt receipt(String site, FederationRun.UploadAccepted ok, ByteString sha) {
        UploadReceipt.Builder b = UploadReceipt.newBuilder().setRound(ok.round()).setDeltaSha256(sha)
                .setUpdatesReceived(ok.updatesReceived()).setUpdatesExpected(ok.updatesExpected());
        // absent only for an update accepted before a coordinator restart: the site then holds no receipt for it
        audit.receipt(site, ok.round(), Sha256.hex(sha.toByteArray())).ifPresent(r -> b.setSignedReceipt(r.statement())
                .setReceiptSignature(ByteString.copyFrom(java.util.Base64.getDecoder().decode(r.sig()))));
        return b.build();
    }

    @Override
    public StreamObserver<UpdateChunk> uploadUpdate(StreamObserver<UploadReceipt> response) {
        String site = PeerIdentity.current().commonName();
        java.security.cert.X509Certificate siteCert = PeerIdentity.current().certificate();
        return new StreamObserver<>() {
            private UpdateHeader header;
            private List<TensorSpec> specs;
            private DeltaEncoding encoding = DeltaEncoding.FLOAT32;
            private UploadSpool.Key key;
            private int announcedRound;
            private UploadSpool.Partial partial;
            private int generation;
            private boolean failed;
            private SignedUpdate signed;
            private boolean masked;

            @Override
            public void onNext(UpdateChunk chunk) {
                if (failed) {
                    return;
                }
                try {
                    if (chunk.hasHeader()) {
                        acceptHeader(chunk.getHeader());
                    } else if (header == null) {
                        throw UpdateRefusal.MALFORMED.because("the first message of an upload must be its header");
                    } else {
                        append(chunk);
                    }
                } catch (FederationException e) {
                    fail(e, false);
                } catch (java.io.UncheckedIOException e) {
                    log.error("cannot spool the upload from site '{}'", site, e);
                    failed = true;
                    response.onError(Status.UNAVAILABLE.withDescription("the coordinator cannot store the upload ("
                            + e.getMessage() + "); try again later").asRuntimeException());
                }
            }

            private void acceptHeader(UpdateHeader h) {
                if (header != null) {
                    throw UpdateRefusal.MALFORMED.because("an upload has exactly one header");
                }
                // Bound what a site can make the coordinator buffer before any other check runs.
                if (h.getTotalBytes() > limits.maxUpdateBytes()) {
                    throw UpdateRefusal.TOO_LARGE.because("update announces " + h.getTotalBytes()
                            + " bytes, more than limits.max_update_bytes = " + limits.maxUpdateBytes()
                            + "; nothing was buffered");
                }
                specs = Wire.fromProto(h.getTensorsList());
                try {
                    // any known encoding is read, whatever the federation asked: a site that sends float32 is
                    // exact, and one that compresses is checked and aggregated on the decoded values
                    encoding = Wire.encodingOf(h.getEncoding());
                } catch (IllegalArgumentException e) {
                    throw UpdateRefusal.MALFORMED.because(e.getMessage());
                }
                // a pretraining round's delta holds the encoder alone
                long expected = run.expectedUpdateBytes(h.getRound());
                long float32 = TensorCodec.byteSize(specs);
                masked = h.hasSecureAggregation();
                // a masked delta is one int64 per coordinate (docs/secure-aggregation.md), whatever the encoding says
                long announced = masked ? 2 * float32 : DeltaCodec.byteSize(specs, encoding);
                if (h.getTotalBytes() != announced || float32 != expected) {
                    throw UpdateRefusal.WRONG_TENSORS.because("update announces " + h.getTotalBytes()
                            + " bytes for tensors totalling " + announced + " bytes as "
                            + (masked ? "masked int64" : encoding.configName())
                            + " (" + float32 + " as float32); an update of round " + h.getRound() + " has "
                            + expected + " bytes as float32");
                }
                announcedRound = h.getRound();
                // Before anything is spooled: only a joined participant of the open round may store bytes here.
                run.requireUploadable(site, h.getRound());
                signed = UpdateHeaderCheck.check(h, run.plan().federationId(), site, siteCert, run.currentModel(),
                        run.plan().training().requiredDp());
                header = h;
                key = UploadSpool.Key.of(site, h.getRound(), h.getDeltaSha256().toByteArray());
                partial = spool.open(key, announced, run.currentRound());
                generation = partial.takeOver();
            }

            private void append(UpdateChunk chunk) {
                ByteString data = chunk.getData();
                if (data.size() > Wire.MAX_CHUNK_BYTES) {
                    throw UpdateRefusal.TOO_LARGE.because("chunk of " + data.size() + " bytes exceeds the protocol's "
                            + Wire.MAX_CHUNK_BYTES + "-byte limit");
                }
                synchronized (partial) {
                    if (!partial.ownedBy(generation)) {
                        throw new FederationException(Status.Code.ABORTED, "a newer stream of this upload took over");
                    }
                    long held = partial.written();
                    long offset = chunk.getOffset();
                    if (offset > held || offset < 0) {
                        throw UpdateRefusal.OUT_OF_ORDER.because("data chunk at offset " + offset
                                + " but the coordinator holds " + held + " bytes of this upload; chunks must follow "
                                + "each other without gaps (ask UploadStatus where to resume)");
                    }
                    // A chunk overlapping bytes already held (a resent chunk after a broken stream) adds only its
                    // new part; the SHA-256 check at the end catches any difference in the overlap.
                    long skip = held - offset;
                    if (skip >= data.size()) {
                        return;
                    }
                    data = data.substring((int) skip);
                    if (held + data.size() > partial.expected()) {
                        throw UpdateRefusal.TOO_LARGE.because("received more than the " + partial.expected()
                                + " bytes announced in the header");
                    }
                    partial.append(data);
                }
            }

            /** Refuses the stream; {@code dropPartial} also forgets the bytes held (the upload as a whole was bad). */
            private void fail(FederationException e, boolean dropPartial) {
                failed = true;
                if (dropPartial && key != null) {
                    spool.drop(key);
                }
                if (e.refusal() != null) {
                    log.warn("refused upload from site '{}' ({}): {}", site, e.refusal(), e.getMessage());
                    run.refused(site, announcedRound, e);
                }
                response.onError(e.toStatus());
            }

            @Override
            public void onError(Throwable t) {
                // the stream broke (site killed, link dropped): keep what arrived so the site can resume
                log.info("upload from site '{}' broke off after {} bytes: {}", site,
                        partial == null ? 0 : partial.written(), Status.fromThrowable(t));
            }

            @Override
            public void onCompleted() {
                if (failed) {
                    return;
                }
                if (header == null) {
                    fail(UpdateRefusal.MALFORMED.because("empty upload: no header was sent"), false);
                    return;
                }
                byte[] bytes;
                synchronized (partial) {
                    if (!partial.ownedBy(generation)) {
                        fail(new FederationException(Status.Code.ABORTED, "a newer stream of this upload took over"),
                                false);
                        return;
                    }
                    if (!partial.complete()) {
                        fail(UpdateRefusal.TRUNCATED.because("upload ended after " + partial.written() + " of "
                                + partial.expected() + " announced bytes; send the rest or the whole update "
                                + "again"), true);
                        return;
                    }
                    bytes = partial.bytes();
                }
                try {
                    FederationRun.UploadAccepted ok = run.submit(site, new IncomingUpdate(header.getRound(),
                            header.getBaseModelVersion(), header.getDeltaSha256().toByteArray(),
                            header.getNumTrainingBags(), header.getTrainLoss(), specs, bytes, signed, encoding,
                            masked, header.getSecureAggregation().getFractionalBits()));
                    spool.drop(key);
                    response.onNext(receipt(site, ok, header.getDeltaSha256()));
                    response.onCompleted();
                } catch (FederationException e) {
                    // submit recorded the refusal already
                    failed = true;
                    spool.drop(key);
                    log.warn("refused upload from site '{}' ({}): {}", site, e.refusal(), e.getMessage());
                    response.onError(e.toStatus());
                }
            }
        };
    }

    @Override
    public void reportEvaluation(EvaluationReport request, StreamObserver<EvaluationAck> response) {
        String site = PeerIdentity.current().commonName();
        try {
            run.reportEvaluation(site, new SiteEvaluation(request.getModelVersion(), new BinaryMetrics(
                    (int) request.getBags(), request.getAuc(), request.getAccuracy(), request.getSensitivity(),
                    request.getSpecificity(), request.getLoss())));
            response.onNext(EvaluationAck.getDefaultInstance());
            response.onCompleted();
        } catch (FederationException e) {
            response.onError(e.toStatus());
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
                SecAggWire.fromProto(peer.commonName(), cert, request)));
    }

    @Override
    public void shareKeys(SecAggShares request, StreamObserver<SecAggAck> response) {
        String site = PeerIdentity.current().commonName();
        secAgg(response, () -> run.secAggShare(site, request.getRound(), SecAggWire.fromProto(site, request)));
    }

    @Override
    public void unmask(SecAggUnmaskShares request, StreamObserver<SecAggAck> response) {
        String site = PeerIdentity.current().commonName();
        secAgg(response, () -> run.secAggUnmask(site, request.getRound(), SecAggWire.fromProto(site, request)));
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
        String reason = request.getReason().isBlank() ? "no reason given" : request.getReason();
        try {
            // bounded: the reason goes into the round log
            run.leave(site, reason.length() > 500 ? reason.substring(0, 500) + "…" : reason);
            response.onNext(LeaveAck.getDefaultInstance());
            response.onCompleted();
        } catch (FederationException e) {
            response.onError(e.toStatus());
        }
    }
}
