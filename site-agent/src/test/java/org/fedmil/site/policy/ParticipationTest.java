package org.fedmil.site.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.fedmil.proto.v1.TrainingConfig;
import org.fedmil.site.config.SitePolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParticipationTest {

    @TempDir
    Path state;

    @Test
    void aRepeatedRoundNumberWithANewBaseModelCountsAgainForMaxRounds() {
        PolicyGuard guard = new PolicyGuard(new SitePolicy(null, 2, null, null, null), Participation.open(state));
        TrainingConfig config = TrainingConfig.getDefaultInstance();
        guard.checkTraining("fed", 1, 0, config);
        guard.noteSending("fed", 1, 0);
        // the coordinator asks for round 1 again, from another base model: a second update of the site's data
        guard.checkTraining("fed", 1, 5, config);
        guard.noteSending("fed", 1, 5);

        Participation reopened = Participation.open(state);
        assertThat(reopened.count("fed")).isEqualTo(2);
        PolicyGuard after = new PolicyGuard(new SitePolicy(null, 2, null, null, null), reopened);
        assertThatThrownBy(() -> after.checkTraining("fed", 1, 9, config))
                .isInstanceOf(PolicyViolation.class)
                .hasMessageContaining("max_rounds").hasMessageContaining("at most 2");
        // a resend of an update already counted (same round, same base) is not a new round
        after.checkTraining("fed", 1, 5, config);
    }

    @Test
    void theSameRoundAndBaseIsCountedOnce() {
        Participation p = Participation.open(state);
        p.note("fed", 3, 2);
        p.note("fed", 3, 2);
        assertThat(Participation.open(state).count("fed")).isEqualTo(1);
        assertThat(Participation.open(state).contains("fed", 3)).isTrue();
        assertThat(Participation.open(state).contains("fed", 3, 4)).isFalse();
    }

    @Test
    void anOlderFileWithBareRoundNumbersStillCountsThem() throws Exception {
        Files.writeString(state.resolve(Participation.FILE), "{\"fed\":[1,2]}");
        Participation p = Participation.open(state);
        assertThat(p.count("fed")).isEqualTo(2);
        // an old entry covers every base model of its round: an old file never counts fewer rounds than before
        assertThat(p.contains("fed", 2, 7)).isTrue();
        p.note("fed", 3, 2);
        assertThat(Participation.open(state).count("fed")).isEqualTo(3);
    }
}
