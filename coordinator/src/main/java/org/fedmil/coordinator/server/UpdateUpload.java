package org.fedmil.coordinator.server;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.security.cert.X509Certificate;
import java.util.List;
import org.fedmil.coordinator.aggregate.UpdateBytes;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationException;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.IncomingUpdate;
import org.fedmil.coordinator.round.SignedUpdate;
import org.fedmil.coordinator.round.UpdateRefusal;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.protocol.Wire;
import org.fedmil.tensor.DeltaCodec;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One UploadUpdate stream from one site: a header, then the delta's bytes in chunks, spooled as they arrive.
 * Everything that can be refused without the bytes (size, tensors, round, participation, signature, privacy) is
 * refused at the header, before a byte is stored; the bytes reach the round only once all announced ones arrived.
 * A stream that breaks keeps what arrived, so that the site resumes from there (UploadStatus).
 */
final class UpdateUpload implements StreamObserver<UpdateChunk> {

    private static final Logger log = LoggerFactory.getLogger(UpdateUpload.class);

    private final String site;
    private final X509Certificate siteCert;
    private final FederationRun run;
    private final CoordinatorConfig.Limits limits;
    private final UploadSpool spool;
    private final Receipts receipts;
    private final StreamObserver<UploadReceipt> response;

    private UpdateHeader header;
    private java.util.Optional<org.fedmil.mil.eval.ValidationMetrics> validation = java.util.Optional.empty();
    private List<TensorSpec> specs;
    private DeltaEncoding encoding = DeltaEncoding.FLOAT32;
    private UploadSpool.Key key;
    private int announcedRound;
    private UploadSpool.Partial partial;
    private int generation;
    private boolean failed;
    private SignedUpdate signed;
    private boolean masked;

    /**
     * @param site     the caller, as its verified certificate names it
     * @param siteCert that certificate, whose key must have signed the header's update statement
     */
    UpdateUpload(String site, X509Certificate siteCert, FederationRun run, CoordinatorConfig.Limits limits,
                 UploadSpool spool, Receipts receipts, StreamObserver<UploadReceipt> response) {
        this.site = site;
        this.siteCert = siteCert;
        this.run = run;
        this.limits = limits;
        this.spool = spool;
        this.receipts = receipts;
        this.response = response;
    }

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
            if (header != null && run.currentRound() != announcedRound) {
                // the round closed under the stream and its spool file went with it: not a disk problem
                fail(UpdateRefusal.ROUND_CLOSED.because("round " + announcedRound + " closed while this update "
                        + "arrived; the coordinator is in round " + run.currentRound() + ", ask for the next task"),
                        true);
                return;
            }
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
        announcedRound = h.getRound();
        // Bound what a site can make the coordinator buffer before any other check runs.
        if (h.getTotalBytes() > limits.maxUpdateBytes()) {
            throw UpdateRefusal.TOO_LARGE.because("update announces " + h.getTotalBytes()
                    + " bytes, more than limits.max_update_bytes = " + limits.maxUpdateBytes()
                    + "; nothing was buffered");
        }
        if (h.getDeltaSha256().size() != 32) {
            // it names the upload's spool file: checked before anything is made of it
            throw UpdateRefusal.SHA256_MISMATCH.because("the update header's delta_sha256 has "
                    + h.getDeltaSha256().size() + " bytes; a SHA-256 has 32");
        }
        specs = HeaderTensors.check(h.getTensorsList(), run.currentModel().weights().specs());
        try {
            // any known encoding is read, whatever the federation asked: a site that sends float32 is
            // exact, and one that compresses is checked and aggregated on the decoded values
            encoding = Wire.encodingOf(h.getEncoding());
        } catch (IllegalArgumentException e) {
            throw UpdateRefusal.MALFORMED.because(e.getMessage());
        }
        try {
            validation = org.fedmil.protocol.ValidationWire.of(h);
        } catch (IllegalArgumentException e) {
            throw UpdateRefusal.BAD_HEADER_VALUES.because("the header's validation: " + e.getMessage()
                    + "; send the site's validation aggregates as measured, or none");
        }
        long announced = requireAnnouncedSize(h);
        // Before anything is spooled: only a joined participant of the open round may store bytes here.
        run.requireUploadable(site, h.getRound());
        signed = UpdateHeaderCheck.check(h, run.plan().federationId(), site, siteCert, run.currentModel(),
                run.plan().training().requiredDp());
        // after the signature: a refused over-claim is one the site signed, which the round log can show
        run.requireClaimable(site, h.getRound(), h.getNumTrainingBags());
        header = h;
        key = UploadSpool.Key.of(site, h.getRound(), h.getDeltaSha256().toByteArray());
        partial = spool.open(key, announced, run.currentRound());
        generation = partial.takeOver();
    }

    /** The bytes the header announces, once checked against its tensors and the round's model. */
    private long requireAnnouncedSize(UpdateHeader h) {
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
        return announced;
    }

    private void append(UpdateChunk chunk) {
        ByteString data = chunk.getData();
        if (data.size() > Wire.MAX_CHUNK_BYTES) {
            throw UpdateRefusal.TOO_LARGE.because("chunk of " + data.size() + " bytes exceeds the protocol's "
                    + Wire.MAX_CHUNK_BYTES + "-byte limit");
        }
        synchronized (partial) {
            requireOwner();
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

    /** A stream of this upload that a newer one took over (the site resumed on another connection) must stop. */
    private void requireOwner() {
        FederationException dropped = partial.dropped();
        if (dropped != null) {
            throw dropped;
        }
        if (!partial.ownedBy(generation)) {
            throw new FederationException(Status.Code.ABORTED, "a newer stream of this upload took over");
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
        if (masked || encoding != DeltaEncoding.FLOAT32) {
            submitWhole();
            return;
        }
        java.nio.channels.FileChannel file;
        synchronized (partial) {
            if (!requireComplete()) {
                return;
            }
            file = partial.openComplete();
        }
        // a plain float32 delta is checked and folded a piece at a time from its spool file: no whole copy
        try (file) {
            submit(UpdateBytes.of(file, partial.expected(), "the spooled upload " + partial.file()));
        } catch (java.io.IOException e) {
            log.warn("could not close the spooled upload {}: {}", partial.file(), e.getMessage());
        }
    }

    /** A masked or compressed upload, read whole (one at a time: {@link UploadSpool#awaitWhole}). */
    private void submitWhole() {
        spool.awaitWhole();
        try {
            byte[] bytes;
            synchronized (partial) {
                if (!requireComplete()) {
                    return;
                }
                bytes = partial.bytes();
            }
            submit(UpdateBytes.of(bytes));
        } finally {
            spool.doneWithWhole();
        }
    }

    /** Whether this stream still owns a complete upload; if not, the stream is refused and false returned. */
    private boolean requireComplete() {
        try {
            requireOwner();
        } catch (FederationException e) {
            fail(e, false);
            return false;
        }
        if (!partial.complete()) {
            fail(UpdateRefusal.TRUNCATED.because("upload ended after " + partial.written() + " of "
                    + partial.expected() + " announced bytes; send the rest or the whole update again"), true);
            return false;
        }
        return true;
    }

    private void submit(UpdateBytes bytes) {
        try {
            FederationRun.UploadAccepted ok = run.submit(site, new IncomingUpdate(header.getRound(),
                    header.getBaseModelVersion(), header.getDeltaSha256().toByteArray(),
                    header.getNumTrainingBags(), header.getTrainLoss(), specs, bytes, signed, encoding,
                    masked, header.getSecureAggregation().getFractionalBits(), validation));
            spool.drop(key);
            response.onNext(receipts.of(site, ok, header.getDeltaSha256()));
            response.onCompleted();
        } catch (FederationException e) {
            // submit recorded the refusal already
            failed = true;
            spool.drop(key);
            log.warn("refused upload from site '{}' ({}): {}", site, e.refusal(), e.getMessage());
            response.onError(e.toStatus());
        }
    }
}
