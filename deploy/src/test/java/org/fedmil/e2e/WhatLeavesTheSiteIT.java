package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.Message;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.fedmil.mil.data.BagDataset;
import org.fedmil.mil.data.BagEntry;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadStatusRequest;
import org.fedmil.protocol.Wire;
import org.fedmil.site.agent.SiteAgent;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Records every message a real site agent sends to the coordinator during a whole federation (join, rounds,
 * final evaluation) and proves it holds only what docs/privacy.md says: label counts at join, the weight delta
 * with its counts and loss per round, and aggregate metrics at the end. No bag id, feature, per-bag output or
 * attention weight is among them.
 */
class WhatLeavesTheSiteIT {

    /** Every message received from sites, by gRPC method, in arrival order. */
    static final class Recorder implements ServerInterceptor {
        final Map<String, List<Message>> byMethod = Collections.synchronizedMap(new TreeMap<>());

        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            String method = call.getMethodDescriptor().getBareMethodName();
            return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, headers)) {
                @Override
                public void onMessage(Q message) {
                    byMethod.computeIfAbsent(method, m -> Collections.synchronizedList(new ArrayList<>()))
                            .add((Message) message);
                    super.onMessage(message);
                }
            };
        }

        List<Message> of(String method) {
            return byMethod.getOrDefault(method, List.of());
        }
    }

    @Test
    void aSiteSendsOnlyCountsDeltasAndAggregateMetrics(@TempDir Path dir) throws Exception {
        Recorder recorder = new Recorder();
        try (TestFederation fed = new TestFederation(dir, 1, 2, 60, 40, recorder)) {
            var config = fed.siteConfig("site-1", fed.site("site-1"));
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (SiteAgent agent = new SiteAgent(config, new PrintStream(out, true, StandardCharsets.UTF_8))) {
                assertThat(agent.run()).isZero();
            }

            assertThat(recorder.byMethod.keySet())
                    .containsExactlyInAnyOrder("Join", "NextTask", "DownloadModel", "UploadStatus", "UploadUpdate",
                            "ReportEvaluation");
            // no message carries fields this build does not know (nothing smuggled past the schema)
            recorder.byMethod.values().forEach(ms -> ms.forEach(m ->
                    assertThat(m.getUnknownFields().asMap()).as(m.getClass().getSimpleName()).isEmpty()));

            // join: software, device and label counts, nothing per bag
            BagDataset data = BagDataset.load(config.dataDir());
            JoinRequest join = (JoinRequest) recorder.of("Join").get(0);
            assertThat(join.getBagsPerLabelList()).hasSize(2);
            assertThat(join.getBagsPerLabelList().stream().mapToLong(c -> c.getBags()).sum()).isEqualTo(data.size());

            // each upload is one header plus exactly the delta's bytes, and the delta is what the model moved by
            List<Message> chunks = recorder.of("UploadUpdate");
            List<UpdateHeader> headers = new ArrayList<>();
            List<ByteString> deltas = new ArrayList<>();
            ByteString current = null;
            for (Message m : chunks) {
                UpdateChunk chunk = (UpdateChunk) m;
                if (chunk.hasHeader()) {
                    if (current != null) {
                        deltas.add(current);
                    }
                    headers.add(chunk.getHeader());
                    current = ByteString.EMPTY;
                } else {
                    current = current.concat(chunk.getData());
                }
            }
            deltas.add(current);
            assertThat(headers).hasSize(2);
            for (int r = 0; r < 2; r++) {
                UpdateHeader h = headers.get(r);
                byte[] bytes = deltas.get(r).toByteArray();
                assertThat(h.getRound()).isEqualTo(r + 1);
                assertThat(h.getNumTrainingBags()).isEqualTo(data.size());
                assertThat((long) bytes.length).isEqualTo(h.getTotalBytes())
                        .isEqualTo(TensorCodec.byteSize(Wire.fromProto(h.getTensorsList())));
                assertThat(Sha256.of(bytes)).isEqualTo(h.getDeltaSha256().toByteArray());
                TensorSet delta = TensorCodec.decode(Wire.fromProto(h.getTensorsList()), bytes);
                // one site: FedAvg moves the global model by exactly this delta
                assertClose(savedModel(dir, r, delta), delta, savedModel(dir, r + 1, delta));
            }

            // before each upload the agent asks where to resume: the round and the delta's SHA-256, nothing else
            List<Message> statusAsks = recorder.of("UploadStatus");
            assertThat(statusAsks).hasSize(2);
            for (int r = 0; r < 2; r++) {
                UploadStatusRequest ask = (UploadStatusRequest) statusAsks.get(r);
                assertThat(ask).isEqualTo(UploadStatusRequest.newBuilder().setRound(r + 1)
                        .setDeltaSha256(headers.get(r).getDeltaSha256()).build());
            }

            // evaluation: aggregate numbers only
            EvaluationReport report = (EvaluationReport) recorder.of("ReportEvaluation").get(0);
            assertThat(report.getBags()).isEqualTo(data.size());

            // and no bag id appears anywhere in what was sent
            List<String> ids = BagDataset.readIndex(config.dataDir()).stream().map(BagEntry::id).toList();
            for (List<Message> messages : recorder.byMethod.values()) {
                for (Message m : messages) {
                    String text = m.toByteString().toString(StandardCharsets.ISO_8859_1);
                    for (String id : ids) {
                        assertThat(text).as("message %s", m.getClass().getSimpleName()).doesNotContain(id);
                    }
                }
            }
        }
    }

    private static TensorSet savedModel(Path dir, int version, TensorSet like) throws java.io.IOException {
        Path file = dir.resolve("state").resolve("models").resolve(String.format("model-v%04d.bin", version));
        return TensorCodec.decode(like.specs(), java.nio.file.Files.readAllBytes(file));
    }

    private static void assertClose(TensorSet before, TensorSet delta, TensorSet after) {
        for (int i = 0; i < before.tensors().size(); i++) {
            NamedTensor b = before.tensors().get(i);
            float[] d = delta.tensors().get(i).values();
            float[] a = after.tensors().get(i).values();
            for (int j = 0; j < d.length; j++) {
                assertThat(a[j]).as(b.name() + "[" + j + "]").isCloseTo(b.values()[j] + d[j],
                        org.assertj.core.api.Assertions.within(1e-6f + 1e-6f * Math.abs(a[j])));
            }
        }
    }
}
