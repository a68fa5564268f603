package org.fedmil.site.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.fedmil.config.TlsFiles;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSize;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.ModelChunk;
import org.fedmil.proto.v1.ModelHeader;
import org.fedmil.protocol.Wire;
import org.fedmil.site.model.LocalModelStore;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.tls.MutualTls;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model download over real mutual TLS decoded into its tensors chunk by chunk, and the site's model file written
 * from the same bytes as they arrive: chunks that split values, a corrupt download and a torn one.
 */
class StreamedModelDownloadTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 9, 5, 3);

    @TempDir
    Path tmp;

    private PartyCredentials site;
    private PartyCredentials coordinator;
    private Server server;
    private CoordinatorClient client;

    @BeforeEach
    void pki() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(tmp.resolve("pki"), "Test", Duration.ofDays(365));
        coordinator = ca.issueCoordinator(List.of("localhost", "127.0.0.1"), Duration.ofDays(30));
        site = ca.issueSite("hospital-a", Duration.ofDays(30));
    }

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static TensorSet weights(long seed) {
        Random rng = new Random(seed);
        List<NamedTensor> out = new ArrayList<>();
        for (TensorSpec s : ModelSize.tensorsOf(SPEC)) {
            float[] v = new float[(int) s.elementCount()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) rng.nextGaussian();
            }
            out.add(new NamedTensor(s.name(), s.shape(), v));
        }
        return new TensorSet(out);
    }

    @Test
    void chunksThatSplitValuesDecodeToTheModelAndTheSiteKeepsItsFileFromTheSameBytes() throws Exception {
        TensorSet model = weights(1);
        byte[] bytes = TensorCodec.encode(model);
        byte[] sha = Sha256.of(bytes);
        start(bytes, sha, 3, bytes.length);
        LocalModelStore store = new LocalModelStore(tmp.resolve("state"));

        CoordinatorClient.DownloadedModel got = client.downloadModel(7, sha,
                store.saving("f", SPEC, 7, sha, "train", OptionalInt.of(2), Optional.empty()));

        assertThat(got.weights()).isEqualTo(model);
        assertThat(got.sha256()).isEqualTo(sha);
        ModelFile kept = ModelFile.read(store.file());
        assertThat(kept.weights()).isEqualTo(model);
        assertThat(kept.metadata()).containsEntry("model_version", "7").containsEntry("round", "2")
                .containsEntry("model_sha256", Sha256.hex(sha));
        // kept already: keeping the same version again writes nothing
        assertThat(store.keep("f", SPEC, got, "evaluate", OptionalInt.empty())).isFalse();
    }

    @Test
    void aCorruptDownloadFailsItsIntegrityCheckAndLeavesTheKeptModelFile() throws Exception {
        LocalModelStore store = keptVersion1();
        byte[] before = Files.readAllBytes(store.file());
        TensorSet model = weights(2);
        byte[] bytes = TensorCodec.encode(model);
        byte[] sha = Sha256.of(bytes);
        byte[] corrupt = bytes.clone();
        corrupt[40] ^= 1;
        start(corrupt, sha, 1 << 10, corrupt.length);

        assertThatThrownBy(() -> client.downloadModel(2, sha,
                store.saving("f", SPEC, 2, sha, "train", OptionalInt.of(2), Optional.empty())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("global model v2 failed its integrity check");

        assertThat(Files.readAllBytes(store.file())).isEqualTo(before);
        assertNoTempFiles(store.file().getParent());
    }

    @Test
    void aTornDownloadFailsNamingTheBytesReceivedAndLeavesTheKeptModelFile() throws Exception {
        LocalModelStore store = keptVersion1();
        byte[] before = Files.readAllBytes(store.file());
        TensorSet model = weights(3);
        byte[] bytes = TensorCodec.encode(model);
        byte[] sha = Sha256.of(bytes);
        start(bytes, sha, 64, 128);

        assertThatThrownBy(() -> client.downloadModel(2, sha,
                store.saving("f", SPEC, 2, sha, "train", OptionalInt.of(2), Optional.empty())))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("model stream ended after 128 of " + bytes.length + " bytes");

        assertThat(Files.readAllBytes(store.file())).isEqualTo(before);
        assertNoTempFiles(store.file().getParent());
    }

    private LocalModelStore keptVersion1() {
        LocalModelStore store = new LocalModelStore(tmp.resolve("state"));
        TensorSet v1 = weights(9);
        ModelFile.write(store.file(), SPEC, v1, Map.of("model_version", "1"));
        return store;
    }

    private static void assertNoTempFiles(Path dir) throws Exception {
        try (Stream<Path> files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly(LocalModelStore.GLOBAL_MODEL_FILE);
        }
    }

    /** A coordinator whose download sends the header (announcing {@code sha}), then {@code sent} bytes in chunks. */
    private void start(byte[] bytes, byte[] sha, int chunk, int sent) throws Exception {
        FederationGrpc.FederationImplBase service = new FederationGrpc.FederationImplBase() {
            @Override
            public void downloadModel(DownloadModelRequest request, StreamObserver<ModelChunk> out) {
                out.onNext(ModelChunk.newBuilder().setHeader(ModelHeader.newBuilder()
                        .setModelVersion(request.getModelVersion())
                        .addAllTensors(Wire.toProto(weights(0).specs())).setTotalBytes(bytes.length)
                        .setSha256(ByteString.copyFrom(sha))).build());
                for (int at = 0; at < sent; at += chunk) {
                    out.onNext(ModelChunk.newBuilder().setData(ByteString.copyFrom(
                            Arrays.copyOfRange(bytes, at, Math.min(at + chunk, sent)))).build());
                }
                out.onCompleted();
            }
        };
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        MutualTls.serverCredentials(coordinator))
                .addService(service)
                .build()
                .start();
        client = new CoordinatorClient("localhost", server.getPort(),
                new TlsFiles(site.cert(), site.key(), site.ca()));
    }
}
