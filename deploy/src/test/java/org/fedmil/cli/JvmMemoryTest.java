package org.fedmil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.fedmil.mil.data.Npy;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.ModelSize;
import org.fedmil.mil.model.ModelSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JvmMemoryTest {

    private static final long HOST_24_GIB = 24 * 1024;

    @TempDir
    Path dir;

    @Test
    void theCoordinatorsHeapIsSizedFromTheModelInItsConfig() throws Exception {
        Path yaml = coordinatorYaml("model: {architecture: attention, input_dim: 19909, hidden_dim: 500, "
                + "attention_dim: 128}");
        JvmMemory.Plan plan = JvmMemory.plan(List.of("coordinator", "--config", yaml.toString()), HOST_24_GIB,
                System.err);
        // 10,019,757 parameters: 38.2 MiB as float32, rounded up to 39
        assertThat(plan.heapMib()).isEqualTo(JvmMemory.BASE_MIB + JvmMemory.MODEL_COPIES * 39L).isEqualTo(220);
        assertThat(plan.options()).contains("-Xmx" + plan.heapMib() + "m", "-Xms16m", "-XX:+UseSerialGC",
                "-XX:MaxHeapFreeRatio=30");
    }

    @Test
    void aCoordinatorWithAServerOptimiserKeepsTheLargerUnmeasuredRule() throws Exception {
        for (String strategy : new String[] {"fedadam", "fedavgm"}) {
            Path yaml = coordinatorYaml("model: {architecture: attention, input_dim: 19909, hidden_dim: 500, "
                    + "attention_dim: 128}\nstrategy: {name: " + strategy + "}");
            JvmMemory.Plan plan = JvmMemory.plan(List.of("coordinator", "--config", yaml.toString()), HOST_24_GIB,
                    System.err);
            // its moments or velocity are model-sized arrays besides the global model and the sum
            assertThat(plan.heapMib()).as(strategy).isEqualTo(JvmMemory.BASE_MIB
                    + JvmMemory.MODEL_COPIES_UNMEASURED * 39L);
        }
    }

    @Test
    void aCoordinatorWithSecureAggregationKeepsTheLargerUnmeasuredRule() throws Exception {
        Path yaml = coordinatorYaml("model: {architecture: attention, input_dim: 19909, hidden_dim: 500, "
                + "attention_dim: 128}\nsecure_aggregation: true\nmin_sites: 3");
        JvmMemory.Plan plan = JvmMemory.plan(List.of("coordinator", "--config", yaml.toString()), HOST_24_GIB,
                System.err);
        // a masked upload is 8 bytes per parameter and is read whole: the plain rounds' four copies would not hold it
        assertThat(plan.heapMib()).isEqualTo(JvmMemory.BASE_MIB + JvmMemory.MODEL_COPIES_UNMEASURED * 39L);
        assertThat(plan.from()).contains("6 × the model's 39 MiB");
    }

    @Test
    void withoutAnInputWidthTheFirstHeldOutBagGivesIt() throws Exception {
        Path yaml = coordinatorYaml("model: {architecture: attention, hidden_dim: 500, attention_dim: 128}");
        Files.createDirectories(dir.resolve("heldout/bags"));
        Files.writeString(dir.resolve("heldout/bags.csv"), "bag_id,label\nb0,1\n");
        Npy.write(dir.resolve("heldout/bags/b0.npy"), new Npy.Matrix(2, 19909, new float[2 * 19909]));
        JvmMemory.Plan plan = JvmMemory.plan(List.of("coordinator", "--config", yaml.toString()), HOST_24_GIB,
                System.err);
        assertThat(plan.heapMib()).isEqualTo(JvmMemory.forModel(ModelSize.of(new ModelSpec(Architecture.ATTENTION,
                19909, 500, 128)), HOST_24_GIB).heapMib());
    }

    @Test
    void aSiteWhoseModelComesLaterGetsAQuarterOfTheHostAtMostFourGibibytes() {
        assertThat(JvmMemory.plan(List.of("site", "run", "--config", "site.yaml"), HOST_24_GIB, System.err)
                .heapMib()).isEqualTo(4096);
        assertThat(JvmMemory.forHost(8192).heapMib()).isEqualTo(2048);
    }

    @Test
    void aSiteThatKeptAGlobalModelIsSizedFromItsFileAndASiteWithoutOneFromTheHost() throws Exception {
        Path yaml = siteYaml();
        List<String> run = List.of("site", "run", "--config", yaml.toString());
        assertThat(JvmMemory.plan(run, HOST_24_GIB, System.err).heapMib()).as("first start: no model kept yet")
                .isEqualTo(4096);

        Path state = Files.createDirectories(dir.resolve("site-state"));
        try (var file = java.nio.channels.FileChannel.open(state.resolve("global-model.fedmil"),
                java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE)) {
            file.write(java.nio.ByteBuffer.wrap(new byte[] {1}), 100L * 1024 * 1024 - 1); // 100 MiB
        }
        JvmMemory.Plan plan = JvmMemory.plan(run, HOST_24_GIB, System.err);

        assertThat(plan.heapMib()).isEqualTo(JvmMemory.BASE_MIB + SiteHeap.MODEL_COPIES * 100L);
        assertThat(plan.from()).contains("the site's last global model (100 MiB");
        assertThat(plan.options()).contains("-XX:+UseSerialGC", "-XX:MaxNewSize=" + SiteHeap.YOUNG_MIB + "m",
                "-XX:-ShrinkHeapInSteps");
        assertThat(JvmMemory.plan(run, 512, System.err).heapMib()).as("cut to half the host").isEqualTo(256);
        assertThat(JvmMemory.forHost(HOST_24_GIB).options()).as("a first start's young generation is capped too")
                .contains("-XX:MaxNewSize=" + SiteHeap.YOUNG_MIB + "m");
        assertThat(JvmMemory.forModel(ModelSize.of(new ModelSpec(Architecture.ATTENTION, 19909, 500, 128)),
                HOST_24_GIB).options()).as("the coordinator's is not").noneMatch(o -> o.startsWith("-XX:MaxNewSize"))
                .doesNotContain("-XX:-ShrinkHeapInSteps");
    }

    private Path siteYaml() throws Exception {
        for (String f : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(f), "placeholder");
        }
        Files.createDirectories(dir.resolve("bags"));
        Path yaml = dir.resolve("site.yaml");
        Files.writeString(yaml, "coordinator: {host: localhost, port: 7443}\n"
                + "tls: {cert: cert.pem, key: key.pem, ca: ca.pem}\ndata_dir: bags\nstate_dir: site-state\n");
        return yaml;
    }

    @Test
    void aModelTooLargeForTheHostIsCutToHalfItsMemoryAndALargeHeapGetsG1ThatGivesMemoryBack() {
        ModelSize billion = ModelSize.of(new ModelSpec(Architecture.ATTENTION, 2_000_000, 500, 128));
        JvmMemory.Plan plan = JvmMemory.forModel(billion, 8192);
        assertThat(plan.heapMib()).isEqualTo(4096);
        assertThat(plan.from()).contains("cut to half the host's memory");
        JvmMemory.Plan big = JvmMemory.forModel(billion, HOST_24_GIB);
        assertThat(big.heapMib()).isGreaterThan(4096);
        assertThat(big.options()).contains("-XX:+UseG1GC", "-XX:G1PeriodicGCInterval=30000")
                .doesNotContain("-XX:+UseSerialGC");
    }

    @Test
    void aConfigItCannotReadLeavesTheHostsShareAndSaysWhy() throws Exception {
        Path yaml = dir.resolve("broken.yaml");
        Files.writeString(yaml, "model: [not, a, map\n");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        JvmMemory.Plan plan = JvmMemory.plan(List.of("coordinator", "--config", yaml.toString()), HOST_24_GIB,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(plan.heapMib()).isEqualTo(4096);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("sized from the host").contains("FEDMIL_HEAP")
                .contains("broken.yaml");
    }

    private Path coordinatorYaml(String model) throws Exception {
        for (String f : new String[] {"cert.pem", "key.pem", "ca.pem"}) {
            Files.writeString(dir.resolve(f), "placeholder");
        }
        Files.createDirectories(dir.resolve("heldout"));
        Path yaml = dir.resolve("coordinator.yaml");
        Files.writeString(yaml, "tls: {cert: cert.pem, key: key.pem, ca: ca.pem}\nheldout_dir: heldout\n" + model
                + "\n");
        return yaml;
    }
}
