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
    }

    @Test
    void aTriedSettingChangesOnlyWhatItNames() {
        GrpcPair.Settings s = GrpcPair.Settings.parse("chunk=1048576, ready=65536");
        assertThat(s).isEqualTo(new GrpcPair.Settings("chunk=1048576, ready=65536", 1 << 20, 0, 64 << 10));
        assertThat(GrpcPair.Settings.parse(TransportBenchmark.TRIED).fixedWindow()).isEqualTo(8 << 20);
    }

    @Test
    void anUnknownSettingIsRefusedWithTheKnownOnes() {
        assertThatThrownBy(() -> GrpcPair.Settings.parse("frame=65536"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'frame=65536'")
                .hasMessageContaining("chunk=BYTES, window=BYTES and/or ready=BYTES");
    }
}
