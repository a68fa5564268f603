package org.fedmil.coordinator.state;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.fedmil.coordinator.round.FederationRun;
import org.fedmil.coordinator.round.RunState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** state.json: transitions written before the call returns, accepted updates' snapshots in the background. */
class StateStoreTest {

    @TempDir
    Path dir;

    private static RunState state(long seq, Map<String, String> submitted) {
        return new RunState(seq, "fed", FederationRun.Phase.TRAINING, 3, 1, 2, List.of(0, 1, 2), List.of(),
                List.of("a", "b", "c"), submitted);
    }

    private JsonNode onDisk() throws Exception {
        return StateStore.JSON.readTree(dir.resolve("state.json").toFile());
    }

    @Test
    void aSnapshotHandedToTheBackgroundWriterReachesDiskWithoutTheCallerWriting() throws Exception {
        StateStore store = new StateStore(dir);
        store.saveStateInBackground(state(1, Map.of("a", "aa")));
        // the writer runs on its own thread: wait for it (bounded), the caller did not
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(dir.resolve("state.json")));
        assertThat(onDisk().path("submitted").path("a").asText()).isEqualTo("aa");
        store.close();
    }

    @Test
    void aBurstOfBackgroundSnapshotsEndsWithTheNewestOnDiskAndNeverAnOlderOverANewer() throws Exception {
        StateStore store = new StateStore(dir);
        store.saveState(state(5, Map.of("a", "aa", "b", "bb")));
        // out of seq order, as handlers on different threads hand them in
        store.saveStateInBackground(state(3, Map.of("a", "aa")));
        for (long seq = 6; seq <= 40; seq++) {
            store.saveStateInBackground(state(seq, Map.of("a", "aa", "b", "bb", "c", "c" + seq)));
        }
        store.saveStateInBackground(state(4, Map.of()));
        store.close();
        assertThat(onDisk().path("seq").asLong()).isEqualTo(40);
        assertThat(onDisk().path("submitted").path("c").asText()).isEqualTo("c40");
    }

    @Test
    void aTransitionSavedAfterBackgroundSnapshotsIsOnDiskWhenSaveStateReturns() throws Exception {
        StateStore store = new StateStore(dir);
        for (long seq = 1; seq <= 20; seq++) {
            store.saveStateInBackground(state(seq, Map.of("a", "a" + seq)));
        }
        RunState closed = new RunState(21, "fed", FederationRun.Phase.AGGREGATING, 3, 1, 2, List.of(0, 1, 2),
                List.of(2), List.of("a"), Map.of("a", "a20"));
        store.saveState(closed);
        // read before close(): saveState itself must have written it
        assertThat(onDisk().path("seq").asLong()).isEqualTo(21);
        assertThat(onDisk().path("phase").asText()).isEqualTo("AGGREGATING");
        store.close();
        assertThat(onDisk().path("seq").asLong()).isEqualTo(21);
    }
}
