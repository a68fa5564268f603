package org.fedmil.bench.perf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.fedmil.coordinator.server.ServerBuffers;
import org.junit.jupiter.api.Test;

class GrpcPairSettingsTest {

    @Test
    void productionIsTheCoordinatorsChunkWithAutoTunedWindowsAndGrpcsReadyThreshold() {
        GrpcPair.Settings p = GrpcPair.Settings.production();
        assertThat(p.downloadChunkBytes()).isEqualTo(ServerBuffers.DOWNLOAD_CHUNK_BYTES);
        assertThat(p.fixedWindow()).isZero();
        assertThat(p.readyThreshold()).isZero();
        assertThat(p.maxFrameSize()).isZero();
        assertThat(p.writeHighWater()).isZero();
    }

    @Test
    void aTriedSettingChangesOnlyWhatItNames() {
        GrpcPair.Settings s = GrpcPair.Settings.parse("chunk=1048576, ready=65536");
        assertThat(s).isEqualTo(new GrpcPair.Settings("chunk=1048576, ready=65536", 1 << 20, 0, 64 << 10, 0, 0));
        assertThat(GrpcPair.Settings.parse("frame=1048576,highwater=4194304"))
                .isEqualTo(new GrpcPair.Settings("frame=1048576,highwater=4194304",
                        GrpcPair.Settings.production().downloadChunkBytes(), 0, 0, 1 << 20, 4 << 20));
        assertThat(GrpcPair.Settings.parse(TransportBenchmark.TRIED).fixedWindow()).isEqualTo(8 << 20);
    }

    @Test
    void anUnknownSettingIsRefusedWithTheKnownOnes() {
        assertThatThrownBy(() -> GrpcPair.Settings.parse("frames=65536"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'frames=65536'")
                .hasMessageContaining("use chunk=, window=, ready=, frame= and/or highwater=BYTES");
    }
}
