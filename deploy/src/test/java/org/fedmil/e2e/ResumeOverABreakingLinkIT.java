package org.fedmil.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.fedmil.coordinator.config.CoordinatorConfig;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.proto.v1.JoinRequest;
import org.fedmil.proto.v1.Task;
import org.fedmil.proto.v1.UploadReceipt;
import org.fedmil.site.agent.CoordinatorClient;
import org.fedmil.tensor.NamedTensor;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The slow hospital link, scaled down: a delta of several MB over a link that breaks every 1.5 MB
 * still arrives, because each new stream starts where the coordinator's acknowledged bytes end. Starting over
 * could never get through: no connection carries the whole delta.
 */
class ResumeOverABreakingLinkIT {

    /*
     * Scaled down for the suite. The full case (a 500 MB delta, a break every 100 MB) is the same test with
     * -Dfedmil.resume.hidden=16384 -Dfedmil.resume.attention=7600 -Dfedmil.resume.breakEvery=100000000 and a
     * larger heap; docs/reliability.md gives the measured run.
     */
    private static final long BREAK_EVERY = Long.getLong("fedmil.resume.breakEvery", 1_500_000);
    private static final int HIDDEN = Integer.getInteger("fedmil.resume.hidden", 2048);
    private static final int ATTENTION = Integer.getInteger("fedmil.resume.attention", 512);

    @Test
    void aDeltaLargerThanAnyUnbrokenStretchOfTheLinkArrivesByResuming(@TempDir Path dir) throws Exception {
        // a wide model: about 1.1 M parameters, 4.4 MB per delta
        try (TestFederation fed = new TestFederation(dir, TestFederation.synthetic(dir, 2, 30, 40), 2, 1,
                new CoordinatorConfig.Model("attention", "mlp", HIDDEN, ATTENTION, null, null),
                new CoordinatorConfig.Training(1, 0.002, 0.0, 42L, null, null, null));
             FlakyLink link = new FlakyLink(fed.coordinator.port(), BREAK_EVERY);
             CoordinatorClient site1 = new CoordinatorClient("localhost", link.port(),
                     TestFederation.tls(fed.site("site-1"))).withChunkBytes(BREAK_EVERY > 10_000_000 ? 1 << 20 : 64 * 1024);
             CoordinatorClient site2 = new CoordinatorClient("localhost", fed.coordinator.port(),
                     TestFederation.tls(fed.site("site-2")))) {
            JoinRequest join = JoinRequest.newBuilder().setSoftwareVersion("test").setDevice("cpu()")
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(0).setBags(100))
                .addBagsPerLabel(org.fedmil.proto.v1.LabelCount.newBuilder().setLabel(1).setBags(100)).build();
            site1.join(join);
            site2.join(join);
            Task task = site1.nextTask(0);
            FederationRun run = fed.coordinator.run();
            TensorSet delta = filled(run.currentModel().weights(), 0.001f);
            long total = TensorCodec.encode(delta).length;
            assertThat(total).as("the delta is longer than any unbroken stretch of the link").isGreaterThan(2 * BREAK_EVERY);

            long started = System.nanoTime();
            UploadReceipt receipt = site1.upload(task.getTrain().getRound(), task.getTrain().getModelVersion(), task.getTrain().getModelSha256().toByteArray(), delta,
                    30, 0.5, java.util.Optional.empty(), Duration.ofSeconds(BREAK_EVERY > 10_000_000 ? 1800 : 120));

            assertThat(receipt.getUpdatesReceived()).isEqualTo(1);
            assertThat(link.breaks()).as("the link broke during the upload").isGreaterThanOrEqualTo(2);
            assertThat(site1.dataBytesSent()).as("sent bytes: the delta plus what was in flight at each break")
                    .isLessThan(total + link.breaks() * BREAK_EVERY);
            System.out.printf("delta %d bytes, link broke %d times, %d data bytes sent, upload took %.1f s%n", total,
                    link.breaks(), site1.dataBytesSent(), (System.nanoTime() - started) / 1e9);
            assertThat(run.updatesReceived()).isEqualTo(1);
        }
    }

    private static TensorSet filled(TensorSet like, float v) {
        List<NamedTensor> out = new java.util.ArrayList<>();
        for (NamedTensor t : like.tensors()) {
            float[] values = new float[t.values().length];
            java.util.Arrays.fill(values, v);
            out.add(new NamedTensor(t.name(), t.shape(), values));
        }
        return new TensorSet(out);
    }
}
