package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.mil.train.LossConfig;
import org.fedmil.tensor.DeltaEncoding;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.tensor.TensorSpec;
import org.fedmil.util.Sha256;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** One set of content checks for plain and masked uploads: a header wrong in one way is refused alike for both. */
class UploadValidatorTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);
    private static final List<TensorSpec> SPECS = List.of(new TensorSpec("w", new long[] {2}));
    private static final UploadValidator VALIDATOR = new UploadValidator(new FederationPlan("test", 1, 2, SPEC,
            new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), false,
            new RoundRules(1, 0, RoundRules.ShortRound.RETRY, 10.0)), SPECS);

    private static byte[] plainBytes(float a, float b) {
        return TensorCodec.encode(new TensorSet(List.of(new NamedTensor("w", new long[] {2}, new float[] {a, b}))));
    }

    private static byte[] maskedBytes() {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putLong(5).putLong(-7).array();
    }

    /** An upload of {@code bytes}, broken as {@code broken} says. */
    private static IncomingUpdate upload(byte[] bytes, boolean masked, String broken) {
        byte[] sha = switch (broken) {
            case "short_sha" -> new byte[7];
            case "wrong_sha" -> Sha256.of(new byte[] {1});
            default -> Sha256.of(bytes);
        };
        List<TensorSpec> tensors = broken.equals("wrong_tensors") ? List.of(new TensorSpec("v", new long[] {2}))
                : SPECS;
        long bags = broken.equals("no_bags") ? 0 : 3;
        double loss = broken.equals("nan_loss") ? Double.NaN : 0.5;
        return new IncomingUpdate(1, 0, sha, bags, loss, tensors, bytes, SignedUpdate.UNSIGNED, DeltaEncoding.FLOAT32,
                masked, 16);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "short_sha,     SHA256_MISMATCH",
        "wrong_sha,     SHA256_MISMATCH",
        "wrong_tensors, WRONG_TENSORS",
        "no_bags,       BAD_HEADER_VALUES",
        "nan_loss,      BAD_HEADER_VALUES",
    })
    void aBrokenHeaderIsRefusedAlikeForAPlainAndAMaskedUpload(String broken, UpdateRefusal kind) {
        UploadValidator.Verdict plain = VALIDATOR.check(upload(plainBytes(0.1f, 0.2f), false, broken));
        UploadValidator.Verdict masked = VALIDATOR.check(upload(maskedBytes(), true, broken));

        assertThat(plain.ok()).isFalse();
        assertThat(masked.ok()).isFalse();
        assertThat(plain.refusal().refusal()).isEqualTo(kind);
        assertThat(masked.refusal().refusal()).isEqualTo(kind);
    }

    @Test
    void aWellFormedUploadPassesWithItsNormOrItsRingValues() {
        UploadValidator.Verdict plain = VALIDATOR.check(upload(plainBytes(3f, 4f), false, "none"));
        UploadValidator.Verdict masked = VALIDATOR.check(upload(maskedBytes(), true, "none"));

        assertThat(plain.ok()).isTrue();
        assertThat(plain.norm()).isEqualTo(5.0);
        assertThat(masked.ok()).isTrue();
        assertThat(masked.norm()).as("a masked delta's norm is the coordinator's to never know").isNaN();
        assertThat(masked.maskedValues()).containsExactly(5L, -7L);
    }

    /** Three tensors of 150,000 floats in all (several 64 KiB pieces), the second's boundary inside a piece. */
    private static final List<TensorSpec> BIG = List.of(new TensorSpec("a", new long[] {20_001}),
            new TensorSpec("b", new long[] {100, 1_000}), new TensorSpec("c", new long[] {29_999}));
    private static final UploadValidator BIG_VALIDATOR = new UploadValidator(new FederationPlan("test", 1, 2, SPEC,
            new FederationPlan.TrainingPlan(1, 0.01, 0, 7, LossConfig.DEFAULT), false,
            new RoundRules(1, 0, RoundRules.ShortRound.RETRY, 10.0)), BIG);

    @org.junit.jupiter.api.io.TempDir
    java.nio.file.Path dir;

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource({
        "good,             ",
        "wrong_sha,        SHA256_MISMATCH",
        "nan_in_b,         NON_FINITE",
        "inf_last,         NON_FINITE",
        "nan_and_wrong_sha, SHA256_MISMATCH",
        "too_large_norm,   NORM_EXCEEDED",
        "four_bytes_more,  WRONG_TENSORS",
        "two_bytes_short,  WRONG_TENSORS",
    })
    void aPlainUploadCheckedFromItsSpoolFileGetsTheVerdictOfTheWholeArray(String broken, UpdateRefusal kind)
            throws Exception {
        java.util.Random random = new java.util.Random(11);
        float[] values = new float[150_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() * 1e-3);
        }
        switch (broken) {
            case "nan_in_b", "nan_and_wrong_sha" -> values[20_001 + 16_383] = Float.NaN;
            case "inf_last" -> values[values.length - 1] = Float.NEGATIVE_INFINITY;
            case "too_large_norm" -> values[77] = 11f;
            default -> { }
        }
        byte[] bytes = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, 0f).array();
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values);
        if (broken.equals("four_bytes_more")) {
            bytes = java.util.Arrays.copyOf(bytes, bytes.length + 4);
        } else if (broken.equals("two_bytes_short")) {
            bytes = java.util.Arrays.copyOf(bytes, bytes.length - 2);
        }
        byte[] sha = broken.endsWith("wrong_sha") ? Sha256.of(new byte[] {1}) : Sha256.of(bytes);
        java.nio.file.Path file = java.nio.file.Files.write(dir.resolve("upload.part"), bytes);

        UploadValidator.Verdict whole = BIG_VALIDATOR.check(new IncomingUpdate(1, 0, sha, 3, 0.5, BIG, bytes));
        UploadValidator.Verdict streamed;
        byte[] passedOn = null;
        try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file)) {
            streamed = BIG_VALIDATOR.check(new IncomingUpdate(1, 0, sha, 3, 0.5, BIG,
                    org.fedmil.coordinator.aggregate.UpdateBytes.of(channel, bytes.length, "upload"),
                    SignedUpdate.UNSIGNED, DeltaEncoding.FLOAT32, false, 0, java.util.Optional.empty()));
            if (streamed.ok()) {
                passedOn = streamed.float32Bytes().whole();
            }
        }

        assertThat(streamed.ok()).isEqualTo(whole.ok()).isEqualTo(kind == null);
        if (kind == null) {
            double sumOfSquares = 0;
            for (float v : values) {
                sumOfSquares += (double) v * v;
            }
            assertThat(streamed.norm()).isEqualTo(whole.norm()).isEqualTo(Math.sqrt(sumOfSquares));
            assertThat(passedOn).as("what the sum reads: the file's bytes").isEqualTo(bytes);
        } else {
            assertThat(streamed.refusal().refusal()).isEqualTo(whole.refusal().refusal()).isEqualTo(kind);
            assertThat(streamed.refusal().getMessage()).isEqualTo(whole.refusal().getMessage());
        }
        if (broken.equals("nan_in_b")) {
            assertThat(streamed.refusal().getMessage()).contains("tensor 'b'");
        }
        if (broken.equals("inf_last")) {
            assertThat(streamed.refusal().getMessage()).contains("tensor 'c'");
        }
    }

    @Test
    void onlyAPlainDeltaIsCheckedForFinitenessAndItsNormBound() {
        assertThat(VALIDATOR.check(upload(plainBytes(Float.NaN, 0f), false, "none")).refusal().refusal())
                .isEqualTo(UpdateRefusal.NON_FINITE);
        assertThat(VALIDATOR.check(upload(plainBytes(30f, 40f), false, "none")).refusal().refusal())
                .isEqualTo(UpdateRefusal.NORM_EXCEEDED);
        assertThat(VALIDATOR.check(upload(new byte[15], true, "none")).refusal().refusal())
                .as("a masked delta of the wrong size").isEqualTo(UpdateRefusal.WRONG_TENSORS);
    }
}
