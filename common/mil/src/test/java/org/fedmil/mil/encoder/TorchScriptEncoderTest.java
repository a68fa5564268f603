package org.fedmil.mil.encoder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A TorchScript encoder made by PyTorch (src/test/resources/encoders/make_encoders.py), run through DJL. */
class TorchScriptEncoderTest {

    static final Path TINY = Path.of("src/test/resources/encoders/tiny-encoder.pt");
    static final Path BAD_SHAPE = Path.of("src/test/resources/encoders/bad-shape-encoder.pt");

    @TempDir
    Path dir;

    /** The input make_encoders.py's reference used: x[n,c,i,j] = ((7n + 3c + 5i + j) mod 17) / 17. */
    private static float[] pattern(int n) {
        float[] x = new float[n * 3 * 16 * 16];
        int k = 0;
        for (int t = 0; t < n; t++) {
            for (int c = 0; c < 3; c++) {
                for (int i = 0; i < 16; i++) {
                    for (int j = 0; j < 16; j++) {
                        x[k++] = ((t * 7 + c * 3 + i * 5 + j) % 17) / 17f;
                    }
                }
            }
        }
        return x;
    }

    @Test
    void djlGivesTheFeaturesPyTorchGaveForTheSameTiles() {
        try (TorchScriptEncoder e = TorchScriptEncoder.load(TINY, Device.cpu())) {
            float[][] f = e.encode(pattern(2), 2, 3, 16);
            // printed by torch 1.13 (python3-torch) for the same input and file
            assertThat(f[0]).containsExactly(new float[]{0.023937f, 0.383835f, 0.506564f, 0.035110f, 0.004470f,
                    0.074391f, 0.080229f, 0.123420f}, within(2e-6f));
            assertThat(f[1]).containsExactly(new float[]{0.023111f, 0.382996f, 0.505171f, 0.035239f, 0.004738f,
                    0.071420f, 0.079414f, 0.122581f}, within(2e-6f));
            assertThat(e.sha256()).isEqualTo("0a2b14b04b7786528f578a1c64284f671c0df6224fa623fac8182d75ba7e380d");
        }
    }

    @Test
    void aFileThatIsNotTorchScriptIsRefusedSayingHowToMakeOne() throws Exception {
        Path notScript = Files.writeString(dir.resolve("weights.pt"), "a pickled state_dict is not TorchScript");
        assertThatThrownBy(() -> TorchScriptEncoder.load(notScript, Device.cpu())).isInstanceOf(EncoderException.class)
                .hasMessageContaining("weights.pt").hasMessageContaining("not a TorchScript module")
                .hasMessageContaining("torch.jit.save");
    }

    @Test
    void anEncoderWhoseOutputIsNotOneRowPerTileIsRefused() {
        try (TorchScriptEncoder e = TorchScriptEncoder.load(BAD_SHAPE, Device.cpu())) {
            assertThatThrownBy(() -> e.encode(pattern(2), 2, 3, 16)).isInstanceOf(EncoderException.class)
                    .hasMessageContaining("bad-shape-encoder.pt").hasMessageContaining("(2, 8, 16, 16)")
                    .hasMessageContaining("[tiles, features]");
        }
    }
}
