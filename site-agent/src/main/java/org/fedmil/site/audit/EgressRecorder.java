package org.fedmil.site.audit;

import com.google.protobuf.Message;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.util.LinkedHashMap;
import java.util.Map;
import org.fedmil.audit.EgressSchema;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.util.Sha256;

/**
 * Writes every request message to the {@link EgressLog} before gRPC may send it: which RPC, to which coordinator
 * (its certificate fingerprint as the last handshake saw it), the message's size, SHA-256 and fields. The data
 * chunks of an upload are the delta bytes whose hash and size its header (already described) names; they are
 * counted, and when the stream ends a record says which byte range went out and how it ended. A message that
 * cannot be described is not sent: the call is cancelled.
 */
public final class EgressRecorder implements ClientInterceptor {

    private final EgressLog log;
    private final CoordinatorIdentity coordinator;
    private final String target;

    /** @param target host:port dialled */
    public EgressRecorder(EgressLog log, CoordinatorIdentity coordinator, String target) {
        this.log = log;
        this.coordinator = coordinator;
        this.target = target;
    }

    @Override
    public <ReqT, RespT> ClientCall<ReqT, RespT> interceptCall(MethodDescriptor<ReqT, RespT> method,
                                                               CallOptions options, Channel next) {
        String rpc = method.getBareMethodName();
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            private Map<String, Object> upload;
            private long dataBytes;
            private long fromOffset = -1;
            private int chunks;

            @Override
            public void start(Listener<RespT> listener, Metadata headers) {
                super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                    @Override
                    public void onClose(Status status, Metadata trailers) {
                        ended(status);
                        super.onClose(status, trailers);
                    }
                }, headers);
            }

            @Override
            public void sendMessage(ReqT message) {
                if (message instanceof UpdateChunk c && !c.hasHeader()) {
                    synchronized (this) {
                        if (fromOffset < 0) {
                            fromOffset = c.getOffset();
                        }
                        dataBytes += c.getData().size();
                        chunks++;
                    }
                    super.sendMessage(message);
                    return;
                }
                try {
                    describe(message);
                } catch (RuntimeException e) {
                    cancel("the egress log cannot record this message, so it is not sent", e);
                    throw Status.ABORTED.withDescription("not sent: the egress log " + log.file()
                            + " cannot record the message (" + e.getMessage() + "); check the state folder's disk")
                            .withCause(e).asRuntimeException();
                }
                super.sendMessage(message);
            }

            private void describe(ReqT message) {
                Message m = (Message) message;
                byte[] bytes = m.toByteArray();
                Map<String, Object> content = m instanceof UpdateChunk c ? MessageDescription.of(c.getHeader())
                        : MessageDescription.of(m);
                if (m instanceof UpdateChunk c) {
                    synchronized (this) {
                        upload = new LinkedHashMap<>();
                        upload.put("round", c.getHeader().getRound());
                        upload.put("update_sha256", Sha256.hex(c.getHeader().getDeltaSha256().toByteArray()));
                        upload.put("total_bytes", c.getHeader().getTotalBytes());
                    }
                }
                Map<String, Object> f = new LinkedHashMap<>();
                f.put("rpc", rpc);
                f.put("coordinator", target);
                f.put("coordinator_fingerprint", coordinator.fingerprint());
                f.put("message_bytes", bytes.length);
                f.put("message_sha256", Sha256.hex(Sha256.of(bytes)));
                f.put("content", content);
                log.record(EgressSchema.SENT, f);
            }

            private void ended(Status status) {
                Map<String, Object> f;
                synchronized (this) {
                    if (upload == null) {
                        return;
                    }
                    f = new LinkedHashMap<>(upload);
                    f.put("from_offset", Math.max(fromOffset, 0));
                    f.put("data_bytes", dataBytes);
                    f.put("chunks", chunks);
                    f.put("outcome", status.getCode().name());
                    upload = null;
                }
                try {
                    log.record(EgressSchema.UPLOAD_STREAM_ENDED, f);
                } catch (RuntimeException e) {
                    // the bytes are gone already and their header is described; say so loudly, do not hide the outcome
                    org.slf4j.LoggerFactory.getLogger(EgressRecorder.class)
                            .error("cannot record the end of an upload in {}: {}", log.file(), e.toString());
                }
            }
        };
    }
}
