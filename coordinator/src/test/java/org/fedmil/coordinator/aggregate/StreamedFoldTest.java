package org.fedmil.coordinator.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Random;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The round's sum folds an upload read a piece at a time from its spool file: the same floats as folding the whole
 * received array, no whole copy of the update, and no model from a sum that a failed read left half-folded.
 */
class StreamedFoldTest {

    @TempDir
    Path dir;

    /** Three tensors whose boundaries fall inside 64 KiB pieces, of random magnitudes. */
    private static TensorSet delta(long seed, int scale) {
        Random random = new Random(seed);
        int[] sizes = {40_003 * scale, 7 * scale, 33_333 * scale};
        String[] names = {"a", "b", "c"};
        NamedTensor[] tensors = new NamedTensor[3];
        for (int t = 0; t < 3; t++) {
            float[] v = new float[sizes[t]];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(8) - 4));
            }
            tensors[t] = new NamedTensor(names[t], new long[] {sizes[t]}, v);
        }
        return new TensorSet(List.of(tensors));
    }

    private Path spooled(byte[] bytes, String name) throws Exception {
        return Files.write(dir.resolve(name), bytes);
    }

    @Test
    void foldingAnUploadFromItsFileGivesTheSameModelAsFoldingTheWholeArray() throws Exception {
        TensorSet global = delta(1, 1);
        WeightedMean whole = new WeightedMean(global.specs());
        WeightedMean pieces = new WeightedMean(global.specs());
        for (int site = 0; site < 5; site++) {
            byte[] bytes = TensorCodec.encode(delta(100 + site, 1));
            long bags = 3 + 17L * site;
            whole.acceptWire(global.specs(), bytes, bags);
            try (FileChannel file = FileChannel.open(spooled(bytes, "u" + site), StandardOpenOption.READ)) {
                pieces.acceptWire(global.specs(), UpdateBytes.of(file, bytes.length, "upload " + site), bags);
            }
        }
        assertThat(pieces.updates()).isEqualTo(5);
        assertThat(pieces.totalBags()).isEqualTo(whole.totalBags());
        assertThat(pieces.applyTo(global)).isEqualTo(whole.applyTo(global));
    }

    @Test
    void foldingA16MiBUploadFromItsFileAllocatesLessThanAMebibyte() throws Exception {
        int n = 4 << 20;
        TensorSet big = new TensorSet(List.of(new NamedTensor("w", new long[] {n}, new float[n])));
        byte[] bytes = TensorCodec.encode(big);
        Path file = spooled(bytes, "big");
        bytes = null;
        WeightedMean mean = new WeightedMean(big.specs());
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            UpdateBytes upload = UpdateBytes.of(channel, Files.size(file), "big upload");
            long before = allocatedBytes();
            mean.acceptWire(big.specs(), upload, 1);
            long allocated = allocatedBytes() - before;
            assertThat(allocated).as("bytes allocated by folding a 16 MiB upload from its file")
                    .isLessThan(1L << 20);
        }
        assertThat(mean.updates()).isEqualTo(1);
    }

    @Test
    void aReadThatFailsHalfwayLeavesASumThatMakesNoModel() {
        TensorSet global = delta(1, 1);
        byte[] bytes = TensorCodec.encode(delta(2, 1));
        UpdateBytes failing = new UpdateBytes() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public void forEachPiece(PieceSink sink) {
                sink.accept(bytes, UpdateBytes.PIECE_BYTES);
                throw new UncheckedIOException(new java.io.IOException("disk gone"));
            }

            @Override
            public byte[] whole() {
                return bytes;
            }
        };
        WeightedMean mean = new WeightedMean(global.specs());
        mean.acceptWire(global.specs(), bytes, 1);

        assertThatThrownBy(() -> mean.acceptWire(global.specs(), failing, 1)).isInstanceOf(UncheckedIOException.class);
        assertThatThrownBy(() -> mean.applyTo(global)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("could not be read after part of it was folded in").hasMessageContaining("disk gone")
                .hasMessageContaining("restart the coordinator");
        assertThatThrownBy(() -> mean.acceptWire(global.specs(), bytes, 1)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void aLinearStrategyFoldsFromTheFileAndOthersReadItWhole() throws Exception {
        TensorSet global = delta(1, 1);
        byte[] bytes = TensorCodec.encode(delta(3, 1));
        Strategy fedAvg = new FedAvg();
        Strategy median = RobustStrategy.median(8);
        for (Strategy s : List.of(fedAvg, median)) {
            s.beginRound(global.specs());
            try (FileChannel file = FileChannel.open(spooled(bytes, s.name()), StandardOpenOption.READ)) {
                s.acceptWire(global.specs(), UpdateBytes.of(file, bytes.length, "upload"), 4);
            }
            assertThat(s.updates()).isEqualTo(1);
        }
        Strategy reference = new FedAvg();
        reference.beginRound(global.specs());
        reference.acceptWire(global.specs(), bytes, 4);
        assertThat(fedAvg.finish(global)).isEqualTo(reference.finish(global));
    }

    private static long allocatedBytes() {
        return ((com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean())
                .getThreadAllocatedBytes(Thread.currentThread().getId());
    }
}
