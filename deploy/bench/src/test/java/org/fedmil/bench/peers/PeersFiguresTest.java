package org.fedmil.bench.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSize;
import org.fedmil.mil.model.ModelSpec;
import org.junit.jupiter.api.Test;

class PeersFiguresTest {

    private static final ProcessProbe.Reading R = new ProcessProbe.Reading(1024 * 100, 2.0);

    @Test
    void flowersRoundTimesAreTakenFromItsServersOwnTimestamps() {
        String log = """
                INFO: noise
                flower-round 1 start 100.0
                flower-round 1 end 110.5 results 4 failures 0
                flower-round 2 start 110.5
                flower-round 2 end 112.0 results 4 failures 0
                flower-round 3 start 112.0
                """;
        assertThat(FlowerPeerRun.roundSeconds(log)).containsExactly(10.5, 1.5);
    }

    @Test
    void theSteadyRoundTimeIsTheMedianAfterTheFirstTwoRounds() {
        PeerRun run = new PeerRun("FedMIL", 4, R, List.of(R), new double[] {30, 9, 5, 7, 6, 100}, 1, 1, WireRelay.Counts.NONE);
        assertThat(run.steadyRoundSeconds()).isEqualTo(6.5);
        PeerRun short3 = new PeerRun("FedMIL", 4, R, List.of(R), new double[] {30, 4, 6}, 1, 1, WireRelay.Counts.NONE);
        assertThat(short3.steadyRoundSeconds()).isEqualTo(5.0);
    }

    @Test
    void ratiosPairEachFedmilRunWithTheFlowerRunAfterItAndLeaveTheBaselineOut() {
        ProcessProbe.Reading big = new ProcessProbe.Reading(1024 * 300, 6.0);
        PeerRun a = new PeerRun("FedMIL", 4, big, List.of(big), new double[] {1, 1, 2, 2}, 1, 1, WireRelay.Counts.NONE);
        PeerRun b = new PeerRun("Flower", 4, R, List.of(R), new double[] {1, 1, 4, 4}, 1, 1, WireRelay.Counts.NONE);
        PeerRun c = a.labelled("FedMIL -Xmx2g");
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, 10, 4, 2);
        String md = PeersTable.markdown(spec, ModelSize.of(spec), 4, "fixed", List.of("-Xmx200m"), List.of(a, b, c));
        assertThat(md).contains("| 4 | 1 | FedMIL | 300 |").contains("| 4 | 1 | Flower | 100 |")
                .contains("| 4 | 1 | FedMIL -Xmx2g | 300 |")
                .contains("| 4 | 1 | 3.00 | 3.00 | 3.00 | 0.50 |");
        assertThat(md.lines().filter(l -> l.matches("\\| 4 \\| \\d \\| [0-9.]+ \\|.*"))).hasSize(1);
        assertThat(md).as("the coordinator's and the one site's peak RSS summed").contains("| 1.0 → 1.0 | 600 |");
    }

    @Test
    void wireBytesAreAColumnOfEveryRunAndARatioOfEveryPair() {
        PeerRun a = new PeerRun("FedMIL", 4, R, List.of(R), new double[] {1, 1}, 1, 1,
                new WireRelay.Counts(3L << 20, 5L << 20));
        PeerRun b = new PeerRun("Flower", 4, R, List.of(R), new double[] {1, 1}, 1, 1,
                new WireRelay.Counts(2L << 20, 2L << 20));
        ModelSpec spec = new ModelSpec(Architecture.ATTENTION, 10, 4, 2);
        String md = PeersTable.markdown(spec, ModelSize.of(spec), 2, "fixed", List.of("-Xmx200m"), List.of(a, b));
        // 8 MiB over 4 sites and 2 rounds: 1 MiB per site and round
        assertThat(md).contains("| 3.0 / 5.0 | 1.00 |").contains("| 2.0 / 2.0 | 0.50 |").contains("| 2.000 |");
        PeerRun uncounted = a.labelled("FedMIL").withoutWire();
        assertThat(PeersTable.row(uncounted)).endsWith("| not counted | not counted |");
    }

    @Test
    void theNativeMemorySummaryIsReadIntoTheCategoriesThatMatter() {
        String nmt = """
                Native Memory Tracking:

                Total: reserved=2000000KB, committed=307200KB
                -                 Java Heap (reserved=215040KB, committed=144384KB)
                                            (mmap: reserved=215040KB, committed=144384KB)
                -                     Class (reserved=1049000KB, committed=4000KB)
                -                    Thread (reserved=30000KB, committed=9000KB)
                -                     Other (reserved=45056KB, committed=45056KB)
                """;
        String line = NativeMemory.describe(409600, nmt);
        assertThat(line).contains("RSS 400 MiB").contains("NMT committed 300 MiB").contains("Java Heap 141")
                .contains("Other 44").contains("Thread 9").doesNotContain("Class 4")
                .contains("outside NMT (libtorch, JNI, malloc arenas, mapped jars) 100 MiB");
    }

    @Test
    void theHeapCeilingFollowsTheModel() {
        ModelSize tenMillion = ModelSize.of(new ModelSpec(Architecture.ATTENTION, 19909, 500, 128));
        // 64 MiB + 4 × 39 MiB; a JVM that starts small with the serial collector commits what it holds
        assertThat(JvmSizing.coordinator(tenMillion)).contains("-Xmx220m", "-Xms16m", "-XX:+UseSerialGC");
        ModelSize hundredMillion = ModelSize.of(new ModelSpec(Architecture.ATTENTION, 199_000, 500, 128));
        // 64 MiB + 4 × 380 MiB (the rule of plain rounds: three model copies when a round opens, and the young
        // generation's room)
        assertThat(hundredMillion.suggestedHeapMib()).isEqualTo(1584);
    }
}
