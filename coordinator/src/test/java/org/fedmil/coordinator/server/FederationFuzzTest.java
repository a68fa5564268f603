package org.fedmil.coordinator.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.proto.v1.DataShape;
import org.fedmil.proto.v1.DeltaEncoding;
import org.fedmil.proto.v1.DownloadModelRequest;
import org.fedmil.proto.v1.EvaluationReport;
import org.fedmil.proto.v1.FederationGrpc;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.LabelCount;
import org.fedmil.proto.v1.LeaveRequest;
import org.fedmil.proto.v1.NextTaskRequest;
import org.fedmil.proto.v1.PrivacyClaim;
import org.fedmil.proto.v1.SecAggEncryptedShare;
import org.fedmil.proto.v1.SecAggKeys;
import org.fedmil.proto.v1.SecAggShare;
import org.fedmil.proto.v1.SecAggShares;
import org.fedmil.proto.v1.SecAggUnmaskShares;
import org.fedmil.proto.v1.SecAggUpload;
import org.fedmil.proto.v1.TensorSpec;
import org.fedmil.proto.v1.UpdateChunk;
import org.fedmil.proto.v1.UpdateHeader;
import org.fedmil.proto.v1.UploadStatusRequest;
import org.fedmil.proto.v1.ValidationSummary;

/**
 * Property-based fuzzing of every Federation RPC through the real in-process server: messages made from valid
 * ones with one or two fields set to generated values (edge-case longs and ints, NaN and infinities, strings of
 * any code points and up to 300,000 long, random bytes), and random bytes sent as the request of every unary RPC
 * and as an upload chunk. For each call: its status is never UNKNOWN, no unexpected exception reached the handler
 * of faults (no new INTERNAL_ERROR refusal), and a refused call left state.json and the run as they were, adding
 * at most its own update_refused record to the round log. Callers: site-a (joined, a participant of the open
 * round), site-c (joined after the round opened, for joins and leaves) and site-x (never joined).
 *
 * <p>The generators are seeded: a failure names the seed and the try, and {@code -Dfedmil.fuzz.seed=N} replays
 * it ({@code -Dfedmil.fuzz.tries=N} runs more tries per property).
 */
@Timeout(300)
class FederationFuzzTest {

    /** Tries per property; four properties (the last at half), about 3.5 × this many calls. */
    private static final int TRIES = Integer.getInteger("fedmil.fuzz.tries", 120);
    private static final long SEED = Long.getLong("fedmil.fuzz.seed", 20261207L);

    private static Path dir;
    private static InProcessCoordinator coordinator;
    private static final AtomicInteger calls = new AtomicInteger();
    private static final AtomicInteger messages = new AtomicInteger();
    private static final byte[] DELTA = UploadStream.smallDelta();

    enum Rpc { JOIN, CHECK_JOIN, NEXT_TASK, DOWNLOAD_MODEL, UPLOAD_STATUS, REPORT_EVALUATION, LEAVE, ADVERTISE_KEYS,
        SHARE_KEYS, UNMASK, SIGN_SURVIVORS }

    /** Values to set fields to; {@code fields} picks which fields of the message get them. */
    record Values(long l, int i, double d, String s, byte[] b) {
        @Override
        public String toString() {
            return "Values[l=" + l + ", i=" + i + ", d=" + d + ", s=" + (s.length() > 60 ? s.substring(0, 60)
                    + "…(" + s.length() + " chars)" : s) + ", b=" + java.util.HexFormat.of().formatHex(b) + "]";
        }
    }

    record Mutation(Rpc rpc, String caller, List<Integer> fields, Values v) {
    }

    record UploadMutation(List<Integer> fields, Values v, boolean resign, int chunkPlan) {
    }

    record RawCall(Rpc rpc, String caller, byte[] bytes) {
        @Override
        public String toString() {
            return "RawCall[" + rpc + ", " + caller + ", " + java.util.HexFormat.of().formatHex(bytes) + "]";
        }
    }

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("fedmil-fuzz");
        // no write rate limit here: the fuzz is about each message, not about the rate (BoundedGrowthTest)
        coordinator = new InProcessCoordinator(dir, InProcessCoordinator.Settings.defaults()
                .limits(new CoordinatorConfig.Limits(null, null, null, null, 0.0, null))).join("site-a", "site-b");
        coordinator.join("site-c").awaitQuiet(200);
    }

    @AfterAll
    static void stop() throws Exception {
        System.out.printf("FederationFuzzTest: %d calls, %d generated messages (seed %d)%n", calls.get(),
                messages.get(), SEED);
        coordinator.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    // --- generators

    private static final long[] EDGE_LONGS = {0, 1, -1, 2, 4, 5, Long.MIN_VALUE, Long.MAX_VALUE, Integer.MAX_VALUE,
        Integer.MIN_VALUE, 1L << 31, 1L << 40, -(1L << 40), 1L << 62};
    private static final double[] EDGE_DOUBLES = {Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY,
        -0.0, 0.0, 0.5, 1e308, -1e308, 4.9e-324};
    private static final String[] WORDS = {"tiles", "features", "site-b", "site-a", "w", "", " ", "cpu()"};

    static long someLong(Random r) {
        return r.nextBoolean() ? EDGE_LONGS[r.nextInt(EDGE_LONGS.length)] : r.nextLong();
    }

    static int someInt(Random r) {
        return r.nextBoolean() ? (int) EDGE_LONGS[r.nextInt(EDGE_LONGS.length)] : r.nextInt();
    }

    static double someDouble(Random r) {
        return r.nextBoolean() ? EDGE_DOUBLES[r.nextInt(EDGE_DOUBLES.length)]
                : (r.nextDouble() - 0.5) * Math.pow(10, r.nextInt(40) - 20);
    }

    static String someString(Random r) {
        int kind = r.nextInt(10);
        if (kind < 6) {
            StringBuilder b = new StringBuilder();
            int n = r.nextInt(61);
            for (int k = 0; k < n; k++) {
                // any code point, control characters and lone surrogates included
                b.append((char) (r.nextInt(4) == 0 ? r.nextInt(0x20) : r.nextInt(0x10000)));
            }
            return b.toString();
        }
        if (kind < 8) {
            StringBuilder b = new StringBuilder();
            int n = r.nextInt(301);
            for (int k = 0; k < n; k++) {
                b.append((char) ('!' + r.nextInt('~' - '!' + 1)));
            }
            return b.toString();
        }
        return kind == 8 ? "v".repeat(129 + r.nextInt(300_000 - 129)) : WORDS[r.nextInt(WORDS.length)];
    }

    static byte[] someBytes(Random r, int max) {
        byte[] b = new byte[r.nextInt(max + 1)];
        r.nextBytes(b);
        return b;
    }

    static Values values(Random r) {
        return new Values(someLong(r), someInt(r), someDouble(r), someString(r), someBytes(r, 80));
    }

    static List<Integer> fields(Random r, int bound) {
        return r.nextBoolean() ? List.of(r.nextInt(bound)) : List.of(r.nextInt(bound), r.nextInt(bound));
    }

    static Mutation mutation(Random r) {
        return new Mutation(Rpc.values()[r.nextInt(Rpc.values().length)],
                List.of("site-a", "site-c", "site-x").get(r.nextInt(3)), fields(r, 16), values(r));
    }

    static UploadMutation uploadMutation(Random r) {
        return new UploadMutation(fields(r, 20), values(r), r.nextInt(4) != 0, r.nextInt(8));
    }

    static RawCall rawCall(Random r) {
        return new RawCall(Rpc.values()[r.nextInt(Rpc.values().length)], r.nextBoolean() ? "site-a" : "site-x",
                someBytes(r, 200));
    }

    // --- properties

    @FunctionalInterface
    interface Property<T> {
        void check(T generated) throws Exception;
    }

    /** Runs {@code tries} generated cases; a failure names the seed, the try and the case. */
    private static <T> void forAll(String name, int tries, java.util.function.Function<Random, T> generator,
                                   Property<T> property) throws Exception {
        Random random = new Random(SEED ^ name.hashCode());
        for (int t = 0; t < tries; t++) {
            T generated = generator.apply(random);
            try {
                property.check(generated);
            } catch (AssertionError | Exception e) {
                throw new AssertionError(name + " failed at try " + (t + 1) + " of seed " + SEED + " with "
                        + generated + ": " + e.getMessage(), e);
            }
        }
    }

    @Test
    void aMutatedUnaryCallIsAnsweredCleanly() throws Exception {
        forAll("unary", TRIES, FederationFuzzTest::mutation, m -> checked(m.caller(), () -> send(m)));
    }

    @Test
    void aMutatedUploadIsAnsweredCleanly() throws Exception {
        forAll("upload", TRIES, FederationFuzzTest::uploadMutation, m -> checked("site-a", () -> upload(m)));
    }

    @Test
    void randomBytesAsAnyUnaryRequestAreAnsweredCleanly() throws Exception {
        forAll("raw", TRIES, FederationFuzzTest::rawCall, c -> checked(c.caller(), () -> raw(c)));
    }

    @Test
    void randomBytesAsAnUploadChunkAreAnsweredCleanly() throws Exception {
        forAll("raw upload", TRIES / 2, FederationFuzzTest::rawCall, c -> checked("site-a",
                () -> rawUpload(c.bytes())));
    }

    // --- the check around every call

    @FunctionalInterface
    interface Call {
        Status run() throws Exception;
    }

    private record Snapshot(int logLines, String state, List<String> joined, int updates, int round, long model) {
        static Snapshot take() throws IOException {
            return new Snapshot(coordinator.roundLogLines().size(), coordinator.stateJson(),
                    coordinator.run.joinedSites(), coordinator.run.updatesReceived(), coordinator.run.currentRound(),
                    coordinator.run.currentModel().version());
        }
    }

    private static void checked(String caller, Call call) throws Exception {
        Snapshot before = Snapshot.take();
        int refusals = coordinator.refusals.size();
        calls.incrementAndGet();
        Status status = call.run();

        assertThat(status.getCode()).as("status of %s", status).isNotEqualTo(Status.Code.UNKNOWN);
        assertThat(List.copyOf(coordinator.refusals.subList(refusals, coordinator.refusals.size())))
                .as("faults met by the handler of unexpected exceptions").noneMatch(r -> r.startsWith("INTERNAL_ERROR"));
        if (!status.isOk()) {
            Snapshot after = Snapshot.take();
            assertThat(after.state()).as("state.json after a refused call (%s)", status).isEqualTo(before.state());
            assertThat(List.of(after.joined(), after.updates(), after.round(), after.model()))
                    .as("the run after a refused call (%s)", status)
                    .isEqualTo(List.of(before.joined(), before.updates(), before.round(), before.model()));
            List<String> added = coordinator.roundLogLines().subList(before.logLines(), after.logLines());
            assertThat(added).as("round log records added by a refused call (%s)", status).hasSizeLessThanOrEqualTo(1)
                    .allMatch(l -> l.contains("\"type\":\"update_refused\""));
        } else if ("site-c".equals(caller) && !coordinator.run.isJoined("site-c")) {
            coordinator.join("site-c"); // a leave went through: site c joins again for the next tries
        }
    }

    // --- unary calls from mutated messages

    private static Status send(Mutation m) {
        FederationGrpc.FederationBlockingStub stub = coordinator.blockingAs(m.caller())
                .withDeadlineAfter(10, TimeUnit.SECONDS);
        Values v = m.v();
        messages.incrementAndGet();
        try {
            switch (m.rpc()) {
                case JOIN -> stub.join(join(m.fields(), v));
                case CHECK_JOIN -> stub.checkJoin(join(m.fields(), v));
                case NEXT_TASK -> stub.withDeadlineAfter(3, TimeUnit.SECONDS).nextTask(NextTaskRequest.newBuilder()
                        .setMaxWaitMs(m.fields().get(0) == 0 ? v.i() : Math.floorMod(v.i(), 50) - 10).build());
                case DOWNLOAD_MODEL -> stub.downloadModel(DownloadModelRequest.newBuilder()
                        .setModelVersion(m.fields().get(0) % 2 == 0 ? v.l() : 0).build()).forEachRemaining(c -> {
                        });
                case UPLOAD_STATUS -> stub.uploadStatus(UploadStatusRequest.newBuilder().setRound(v.i())
                        .setDeltaSha256(ByteString.copyFrom(v.b())).build());
                case REPORT_EVALUATION -> stub.reportEvaluation(evaluation(m.fields(), v));
                case LEAVE -> stub.leave(LeaveRequest.newBuilder().setReason(v.s()).build());
                case ADVERTISE_KEYS -> stub.advertiseKeys(SecAggKeys.newBuilder().setRound(v.i())
                        .setEncryptionKey(ByteString.copyFrom(v.b())).setMaskingKey(ByteString.copyFrom(v.b()))
                        .setSignature(v.s()).build());
                case SHARE_KEYS -> stub.shareKeys(SecAggShares.newBuilder().setRound(v.i())
                        .setSelfMaskCommitment(ByteString.copyFrom(v.b()))
                        .addShares(SecAggEncryptedShare.newBuilder().setFromSite(m.caller()).setToSite(v.s())
                                .setCiphertext(ByteString.copyFrom(v.b()))).build());
                case UNMASK -> stub.unmask(SecAggUnmaskShares.newBuilder().setRound(v.i())
                        .addSelfMaskShares(SecAggShare.newBuilder().setOwner(v.s()).setX((int) v.l())
                                .setY(ByteString.copyFrom(v.b())))
                        .addMaskingKeyShares(SecAggShare.newBuilder().setOwner("site-b").setX(v.i())
                                .setY(ByteString.copyFrom(v.b()))).build());
                case SIGN_SURVIVORS -> stub.signSurvivors(org.fedmil.proto.v1.SecAggSurvivorSignature.newBuilder()
                        .setRound(v.i()).setSignature(v.s()).build());
            }
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }

    /** The join the site agent makes, with the picked fields set to the generated values. */
    private static JoinRequest join(List<Integer> fields, Values v) {
        JoinRequest.Builder b = JoinRequest.newBuilder().setSoftwareVersion("fedmil-site/test").setDevice("cpu()")
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(3))
                .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(2))
                .setDataShape(DataShape.newBuilder().setKind("features").setFeatures(2));
        for (int f : fields) {
            switch (f % 8) {
                case 0 -> b.setSoftwareVersion(v.s());
                case 1 -> b.setDevice(v.s());
                case 2 -> b.addBagsPerLabel(LabelCount.newBuilder().setLabel(v.i()).setBags(3));
                case 3 -> b.clearBagsPerLabel().addBagsPerLabel(LabelCount.newBuilder().setLabel(0).setBags(3))
                        .addBagsPerLabel(LabelCount.newBuilder().setLabel(1).setBags(v.l()));
                case 4 -> b.setFeatureEncoderSha256(v.s());
                case 5 -> b.setDataShape(DataShape.newBuilder().setKind(v.s()).setFeatures(v.i()));
                case 6 -> b.addBagsPerLabel(LabelCount.newBuilder().setLabel(v.i() & 1).setBags(v.l()));
                default -> b.clearBagsPerLabel();
            }
        }
        return b.build();
    }

    private static EvaluationReport evaluation(List<Integer> fields, Values v) {
        EvaluationReport.Builder b = EvaluationReport.newBuilder().setModelVersion(0).setBags(4).setAuc(0.5)
                .setAccuracy(0.5).setSensitivity(0.5).setSpecificity(0.5).setLoss(0.7);
        for (int f : fields) {
            switch (f % 5) {
                case 0 -> b.setModelVersion(v.l());
                case 1 -> b.setBags(v.l());
                case 2 -> b.setAuc(v.d()).setLoss(v.d());
                case 3 -> b.setValidation(ValidationSummary.newBuilder().setNegativeBags(v.l()).setPositiveBags(v.i())
                        .setLoss(v.d()).setAuc(v.d()));
                default -> b.setValidation(ValidationSummary.newBuilder().setNegativeBags(2).setPositiveBags(2)
                        .setLoss(0.5).setNegativeLoss(v.d()).setPositiveLoss(v.d()));
            }
        }
        return b.build();
    }

    // --- uploads

    private static Status upload(UploadMutation m) throws Exception {
        UpdateHeader.Builder h = UploadStream.header(1, DELTA);
        Values v = m.v();
        for (int f : m.fields()) {
            switch (f) {
                case 0 -> h.setRound(v.i());
                case 1 -> h.setBaseModelVersion(v.l());
                case 2 -> h.setDeltaSha256(ByteString.copyFrom(v.b()));
                case 3 -> h.setNumTrainingBags(v.l());
                case 4 -> h.setTrainLoss(v.d());
                case 5 -> h.setTensors(0, TensorSpec.newBuilder().setName("w").addShape(v.l()));
                case 6 -> h.setTensors(0, TensorSpec.newBuilder().setName("w").addShape(v.l()).addShape(v.i()));
                case 7 -> h.setTensors(0, TensorSpec.newBuilder().setName(v.s()).addShape(4));
                case 8 -> h.addTensors(TensorSpec.newBuilder().setName(v.s()).addShape(v.i()));
                case 9 -> h.clearTensors();
                case 10 -> h.setTotalBytes(v.l());
                case 11 -> h.setBaseModelSha256(ByteString.copyFrom(v.b()));
                case 12 -> h.setSiteSignature(ByteString.copyFrom(v.b()));
                case 13 -> h.setPrivacy(PrivacyClaim.newBuilder().setClipNorm(v.d()).setNoiseMultiplier(v.d())
                        .setSamplingRate(v.d()).setDelta(v.d()).setEpsilonSpent(v.d()));
                case 14 -> h.setEncodingValue(v.i());
                case 15 -> h.setEncoding(DeltaEncoding.forNumber(Math.floorMod(v.i(), 3)));
                case 16 -> h.setSecureAggregation(SecAggUpload.newBuilder().setFractionalBits(v.i()));
                case 17 -> h.setValidation(ValidationSummary.newBuilder().setNegativeBags(v.l())
                        .setPositiveBags(v.i()).setLoss(v.d()));
                case 18 -> h.setTensors(0, TensorSpec.newBuilder().setName("w").addShape(v.l()).addShape(v.l())
                        .addShape(v.i()));
                default -> h.setBaseModelVersion(0).setRound(Math.floorMod(v.i(), 4));
            }
        }
        UpdateChunk header = UpdateChunk.newBuilder().setHeader(h).build();
        if (m.resign()) {
            try {
                header = UploadStream.signed(h, coordinator.key("site-a"), "site-a");
            } catch (IllegalArgumentException unsignable) {
                // an encoding this side cannot name either: sent unsigned, as mutated
            }
        }
        List<UpdateChunk> stream = new ArrayList<>();
        switch (m.chunkPlan()) {
            case 0 -> stream.add(header); // no data
            case 1 -> stream.add(UploadStream.data(DELTA)); // no header
            case 2 -> stream.addAll(List.of(header, header, UploadStream.data(DELTA)));
            case 3 -> stream.addAll(List.of(header, UploadStream.data(v.l(), v.b())));
            case 4 -> stream.addAll(List.of(header, UploadStream.data(DELTA, 0, 8), UploadStream.data(DELTA, 0, 16)));
            case 5 -> stream.addAll(List.of(header, UploadStream.data(DELTA, 8, 16)));
            default -> stream.addAll(List.of(header, UploadStream.data(DELTA)));
        }
        messages.addAndGet(stream.size());
        return UploadStream.upload(coordinator.as("site-a"), stream.toArray(UpdateChunk[]::new)).status();
    }

    private static Status rawUpload(byte[] bytes) throws Exception {
        UpdateChunk chunk;
        try {
            chunk = UpdateChunk.parseFrom(bytes);
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            chunk = UpdateChunk.newBuilder().setData(ByteString.copyFrom(bytes)).build();
        }
        messages.addAndGet(2);
        return UploadStream.upload(coordinator.as("site-a"), chunk, UploadStream.data(DELTA)).status();
    }

    // --- random bytes as a request, below the generated stubs

    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    };

    private static Status raw(RawCall c) {
        MethodDescriptor<?, ?> method = switch (c.rpc()) {
            case JOIN -> FederationGrpc.getJoinMethod();
            case CHECK_JOIN -> FederationGrpc.getCheckJoinMethod();
            case NEXT_TASK -> FederationGrpc.getNextTaskMethod();
            case DOWNLOAD_MODEL -> FederationGrpc.getDownloadModelMethod();
            case UPLOAD_STATUS -> FederationGrpc.getUploadStatusMethod();
            case REPORT_EVALUATION -> FederationGrpc.getReportEvaluationMethod();
            case LEAVE -> FederationGrpc.getLeaveMethod();
            case ADVERTISE_KEYS -> FederationGrpc.getAdvertiseKeysMethod();
            case SHARE_KEYS -> FederationGrpc.getShareKeysMethod();
            case UNMASK -> FederationGrpc.getUnmaskMethod();
            case SIGN_SURVIVORS -> FederationGrpc.getSignSurvivorsMethod();
        };
        MethodDescriptor<byte[], byte[]> asBytes = method.toBuilder(BYTES, BYTES).build();
        Channel channel = ClientInterceptors.intercept(coordinator.channel(),
                MetadataUtils.newAttachHeadersInterceptor(InProcessCoordinator.TestCallers.naming(c.caller())));
        messages.incrementAndGet();
        try {
            CallOptions options = CallOptions.DEFAULT.withDeadlineAfter(3, TimeUnit.SECONDS);
            if (asBytes.getType() == MethodDescriptor.MethodType.SERVER_STREAMING) {
                ClientCalls.blockingServerStreamingCall(channel, asBytes, options, c.bytes()).forEachRemaining(b -> {
                });
            } else {
                ClientCalls.blockingUnaryCall(channel, asBytes, options, c.bytes());
            }
            return Status.OK;
        } catch (StatusRuntimeException e) {
            return e.getStatus();
        }
    }
}
