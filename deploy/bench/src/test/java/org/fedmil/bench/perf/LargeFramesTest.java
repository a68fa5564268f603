package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.fedmil.pki.ConsortiumCa;
import org.fedmil.pki.PartyCredentials;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark's larger-frame experiment must really change the frames, or its figures would say nothing. */
class LargeFramesTest {

    @TempDir
    Path dir;

    @Test
    void advertisingLargerFramesMakesThePeerSendDataFramesAbove16KiB() throws Exception {
        ConsortiumCa ca = ConsortiumCa.init(dir.resolve("pki"), "bench", Duration.ofDays(10));
        PartyCredentials coordinator = ca.issueCoordinator(List.of("localhost"), Duration.ofDays(5));
        PartyCredentials site = ca.issueSite("bench-site", Duration.ofDays(5));
        List<TensorSpec> specs = AggregationBenchmark.specs((4 << 20) / 4);
        byte[] model = AggregationBenchmark.update(specs, 1);
        try (GrpcPair pair = new GrpcPair(coordinator, site, TensorCodec.decode(specs, model), model,
                GrpcPair.Settings.parse("frame=1048576,highwater=4194304"))) {
            // the first download's frames may precede the acknowledged SETTINGS; the later ones follow them
            for (int i = 0; i < 3; i++) {
                pair.download();
                pair.upload();
            }
        }
        assertThat(LargeFrames.meanDataFrameBytes()).as("mean DATA frame received, bytes")
                .isGreaterThan(16 << 10);
    }
}
