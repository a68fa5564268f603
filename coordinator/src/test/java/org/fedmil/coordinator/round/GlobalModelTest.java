package org.fedmil.coordinator.round;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Random;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;

/** The global model's wire form made a chunk at a time equals the whole encoding: downloads, saves and its hash. */
class GlobalModelTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 2, 2, 2);

    /** Tensors whose sizes do not line up with the chunks, one of them empty. */
    private static TensorSet weights() {
        Random rng = new Random(3);
        int[] sizes = {5, 0, 70_001, 3, 20_000};
        List<NamedTensor> tensors = new java.util.ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
            float[] v = new float[sizes[i]];
            for (int j = 0; j < v.length; j++) {
                v[j] = (float) rng.nextGaussian();
            }
            tensors.add(new NamedTensor("t" + i, new long[] {sizes[i]}, v));
        }
        return new TensorSet(tensors);
    }

    @Test
    void chunksOfTheWireFormConcatenateToTheWholeEncoding() {
        TensorSet w = weights();
        ModelChunks chunks = new ModelChunks(w, 4096);
        ByteString all = ByteString.EMPTY;
        int n = 0;
        while (chunks.hasNext()) {
            ByteString c = chunks.next();
            assertThat(c.size()).isLessThanOrEqualTo(4096);
            all = all.concat(c);
            n++;
        }
        assertThat(all.toByteArray()).isEqualTo(TensorCodec.encode(w));
        assertThat(n).isEqualTo((int) ((w.byteSize() + 4095) / 4096));
        assertThatThrownBy(chunks::next).isInstanceOf(java.util.NoSuchElementException.class);
    }

    @Test
    void theHashAndTheSavedFormAreThoseOfTheWholeEncoding() throws Exception {
        TensorSet w = weights();
        GlobalModel model = GlobalModel.of(3, SPEC, w);
        byte[] whole = TensorCodec.encode(w);
        ByteArrayOutputStream saved = new ByteArrayOutputStream();
        model.writeTo(saved);

        assertThat(saved.toByteArray()).isEqualTo(whole);
        assertThat(model.sha256()).isEqualTo(Sha256.of(whole));
        assertThat(model.byteSize()).isEqualTo(whole.length);
        assertThat(model.bytes()).isEqualTo(whole);
    }

    @Test
    void aChunkSizeThatSplitsAFloatIsRefused() {
        assertThatThrownBy(() -> new ModelChunks(weights(), 1022)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("multiple of 4");
    }
}
