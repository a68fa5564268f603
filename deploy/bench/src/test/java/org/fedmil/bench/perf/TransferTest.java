package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class TransferTest {

    @Test
    void rateAndCpuCostAreBytesOverWallTimeAndCpuTimeOverBytes() {
        // 2 GB in 4 s of wall time, 5 s of CPU on two cores
        Transfer t = new Transfer(2_000_000_000L, 4_000_000_000L, 5_000_000_000L);
        assertThat(t.rate()).isCloseTo(5e8, within(1e-3));
        assertThat(t.perCpuSecond()).isCloseTo(4e8, within(1e-3));
        assertThat(t.cpuSecondsPerGb()).isCloseTo(2.5, within(1e-12));
    }

    @Test
    void timingBusyWorkChargesAtLeastTheCpuTimeItsThreadUsed() throws Exception {
        // spin until this thread has used 100 ms of CPU, however long a loaded machine takes to give it that: the
        // process's CPU time over the transfer includes the thread's
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long[] used = new long[1];
        Transfer t = Transfer.time(1_000_000, () -> {
            long start = threads.getCurrentThreadCpuTime();
            long x = 0;
            while (threads.getCurrentThreadCpuTime() - start < 100_000_000L) {
                x += System.identityHashCode(new Object());
            }
            used[0] = threads.getCurrentThreadCpuTime() - start;
            if (x == 42) {
                System.out.println(x);
            }
        });
        // the process clock may tick in 10 ms steps
        assertThat(t.cpuNanos()).as("process CPU time over the transfer").isGreaterThan(used[0] - 20_000_000L);
        assertThat(t.wallNanos()).isGreaterThanOrEqualTo(used[0] - 20_000_000L);
    }

    @Test
    void nonsenseIsRefusedWithTheFigures() {
        assertThatThrownBy(() -> new Transfer(0, 1, 1)).hasMessageContaining("a transfer of 0 bytes");
        assertThatThrownBy(() -> new Transfer(1, 0, 1)).hasMessageContaining("in 0 ns wall");
        assertThatThrownBy(() -> new Transfer(1, 1, -1)).hasMessageContaining("-1 ns CPU");
    }
}
