package org.fedmil.site.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.OptionalInt;
import org.fedmil.mil.model.Architecture;
import org.fedmil.mil.model.MilModel;
import org.fedmil.mil.model.ModelFile;
import org.fedmil.mil.model.ModelSpec;
import org.fedmil.site.agent.CoordinatorClient.DownloadedModel;
import org.fedmil.tensor.TensorCodec;
import org.fedmil.tensor.TensorSet;
import org.fedmil.util.Sha256;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalModelStoreTest {

    private static final ModelSpec SPEC = new ModelSpec(Architecture.ATTENTION, 8, 6, 4);

    @TempDir
    Path dir;

    private static DownloadedModel downloaded(long version, long seed) {
        try (MilModel m = MilModel.create(SPEC, Device.cpu(), seed)) {
            TensorSet w = m.weights();
            return new DownloadedModel(version, w, Sha256.of(TensorCodec.encode(w)));
        }
    }

    @Test
    void aDownloadedModelIsKeptAsAModelFileWithWhereItCameFrom() {
        Path state = dir.resolve("site-state");
        LocalModelStore store = new LocalModelStore(state);
        DownloadedModel v2 = downloaded(2, 1);

        assertThat(store.keep("colon-2026", SPEC, v2, "train", OptionalInt.of(3))).isTrue();

        assertThat(store.file()).isEqualTo(state.resolve("global-model.fedmil"));
        ModelFile kept = ModelFile.read(store.file());
        assertThat(kept.spec()).isEqualTo(SPEC);
        assertThat(kept.weights()).isEqualTo(v2.weights());
        assertThat(kept.metadata()).containsEntry("federation_id", "colon-2026").containsEntry("model_version", "2")
                .containsEntry("model_sha256", Sha256.hex(v2.sha256())).containsEntry("task", "train")
                .containsEntry("round", "3").containsKey("saved_at");
    }

    @Test
    void theStoreSaysWhichModelItsFileHoldsForATrainingRoundToFormItsDeltaAgainst() {
        LocalModelStore store = new LocalModelStore(dir);
        DownloadedModel v2 = downloaded(2, 1);
        DownloadedModel v3 = downloaded(3, 2);
        assertThat(store.holds(2, v2.sha256())).as("nothing kept yet").isFalse();

        store.keep("f", SPEC, v2, "train", OptionalInt.of(3));

        assertThat(store.holds(2, v2.sha256())).isTrue();
        assertThat(store.holds(2, v3.sha256())).as("same version, other bytes").isFalse();
        assertThat(store.holds(3, v3.sha256())).isFalse();
    }

    @Test
    void theSameVersionIsWrittenOnceAndANewVersionReplacesIt() throws IOException {
        LocalModelStore store = new LocalModelStore(dir);
        DownloadedModel v2 = downloaded(2, 1);
        store.keep("f", SPEC, v2, "train", OptionalInt.of(3));
        FileTime marked = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(store.file(), marked);

        assertThat(store.keep("f", SPEC, v2, "evaluate", OptionalInt.empty())).isFalse();
        assertThat(Files.getLastModifiedTime(store.file())).isEqualTo(marked);

        DownloadedModel v3 = downloaded(3, 2);
        assertThat(store.keep("f", SPEC, v3, "evaluate", OptionalInt.empty())).isTrue();
        ModelFile kept = ModelFile.read(store.file());
        assertThat(kept.weights()).isEqualTo(v3.weights());
        assertThat(kept.metadata()).containsEntry("model_version", "3").containsEntry("task", "evaluate")
                .doesNotContainKey("round");
    }

    @Test
    void aModelThatCannotBeWrittenIsReportedButDoesNotStopTheAgent() throws IOException {
        LocalModelStore store = new LocalModelStore(dir);
        Files.createDirectories(store.file()); // a folder where the file should go: the rename over it fails

        assertThat(store.keep("f", SPEC, downloaded(1, 1), "train", OptionalInt.of(1))).isFalse();
    }

    @Test
    void aStateFolderThatCannotBeCreatedIsNamedWithWhatToChange() throws IOException {
        Path file = Files.writeString(dir.resolve("not-a-folder"), "x");

        assertThatThrownBy(() -> new LocalModelStore(file.resolve("state"))).isInstanceOf(UncheckedIOException.class)
                .hasMessageContaining("cannot create the site state folder " + file.resolve("state"))
                .hasMessageContaining("set state_dir in site.yaml");
    }
}
