package org.fedmil.tensor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;

/** The wire form produced and consumed a piece at a time is exactly TensorCodec's, whatever the piece sizes. */
class TensorStreamCodecTest {

    private static TensorSet model(long seed) {
        Random rng = new Random(seed);
        float[] a = new float[70_001];
        float[] c = new float[5];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) rng.nextGaussian();
        }
        for (int i = 0; i < c.length; i++) {
            c[i] = rng.nextFloat();
        }
        return new TensorSet(List.of(new NamedTensor("a", new long[] {70_001}, a),
                new NamedTensor("empty", new long[] {0, 3}, new float[0]),
                new NamedTensor("c", new long[] {5}, c)));
    }

    @Test
    void piecesOfAnySizeSplittingValuesAndTensorsDecodeToTheSameTensors() {
        TensorSet model = model(1);
        byte[] wire = TensorCodec.encode(model);
        for (int piece : new int[] {1, 3, 4, 7, 4093, 65_536, wire.length}) {
            TensorStreamDecoder decoder = new TensorStreamDecoder(model.specs());
            for (int at = 0; at < wire.length; at += piece) {
                decoder.accept(ByteBuffer.wrap(wire, at, Math.min(piece, wire.length - at)));
            }
            assertThat(decoder.complete()).as("pieces of %d bytes", piece).isTrue();
            assertThat(decoder.tensors()).as("pieces of %d bytes", piece).isEqualTo(model);
        }
    }

    @Test
    void aDecoderRefusesBytesBeyondTheAnnouncedTensorsAndTensorsBeforeTheLastByte() {
        TensorSet model = model(2);
        byte[] wire = TensorCodec.encode(model);
        TensorStreamDecoder decoder = new TensorStreamDecoder(model.specs());
        decoder.accept(ByteBuffer.wrap(wire, 0, wire.length - 3));

        assertThatThrownBy(decoder::tensors).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining((wire.length - 3) + " of " + wire.length);
        assertThatThrownBy(() -> decoder.accept(ByteBuffer.wrap(new byte[4])))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("more than the " + wire.length);
    }

    @Test
    void encodingFromAnyOffsetGivesThoseBytesOfTheWholeEncoding() {
        TensorSet model = model(3);
        byte[] wire = TensorCodec.encode(model);
        for (int[] range : new int[][] {{0, wire.length}, {1, 6}, {3, 1}, {280_000, 7}, {280_002, 22}, {5, 65_541}}) {
            byte[] piece = new byte[range[1]];
            TensorStreamEncoder.encode(model, range[0], ByteBuffer.wrap(piece));
            assertThat(piece).as("bytes %d..+%d", range[0], range[1])
                    .isEqualTo(Arrays.copyOfRange(wire, range[0], range[0] + range[1]));
        }
        assertThatThrownBy(() -> TensorStreamEncoder.encode(model, wire.length - 2, ByteBuffer.allocate(3)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("outside");
    }

    @Test
    void writingAndHashingAPieceAtATimeMatchTheWholeEncoding() throws Exception {
        TensorSet model = model(4);
        byte[] wire = TensorCodec.encode(model);
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        TensorStreamEncoder.writeTo(model, out);

        assertThat(out.toByteArray()).isEqualTo(wire);
        assertThat(TensorStreamEncoder.sha256(model)).isEqualTo(Sha256.of(wire));
    }
}
