package org.fedmil.util;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {

    @TempDir
    Path dir;

    private static long directBytes() {
        return ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
                .filter(b -> b.getName().equals("direct")).mapToLong(BufferPoolMXBean::getMemoryUsed).sum();
    }

    @Test
    void aLargeWriteArrivesWholeAndLeavesNoModelSizedDirectBufferWithTheThread() throws Exception {
        byte[] model = new byte[24 << 20];
        new Random(5).nextBytes(model);
        long before = directBytes();
        AtomicFiles.write(dir.resolve("model.bin"), out -> out.write(model));
        long kept = directBytes() - before;
        assertThat(Files.readAllBytes(dir.resolve("model.bin"))).isEqualTo(model);
        // written in one call through a FileChannel, the JDK would keep a 24 MiB temporary direct buffer for this
        // thread; written in slices, at most one slice's
        assertThat(kept).isLessThan(1 << 20);
    }

    @Test
    void smallAndSingleByteWritesStillArriveInOrder() throws Exception {
        AtomicFiles.write(dir.resolve("f"), out -> {
            out.write('a');
            out.write(new byte[] {'b', 'c', 'd'}, 1, 2);
        });
        assertThat(Files.readString(dir.resolve("f"))).isEqualTo("acd");
    }
}
