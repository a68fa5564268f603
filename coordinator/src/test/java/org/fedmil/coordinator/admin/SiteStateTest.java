package org.fedmil.coordinator.admin;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** One vocabulary: a waiting site silent for over two minutes is stale; a training one is not. */
class SiteStateTest {

    private static final Instant NOW = Instant.parse("2026-01-02T03:04:05Z");

    private static Optional<SiteGate.Seen> seenSecondsAgo(long seconds) {
        return Optional.of(new SiteGate.Seen(NOW.minusSeconds(seconds), "ab", "01"));
    }

    @Test
    void aWaitingSiteSilentForLongerThanItsPollsIsStale() {
        assertThat(SiteState.of("joined", seenSecondsAgo(30), NOW)).isEqualTo("joined");
        assertThat(SiteState.of("joined", seenSecondsAgo(121), NOW)).isEqualTo("stale");
        assertThat(SiteState.of("submitted", seenSecondsAgo(600), NOW)).isEqualTo("stale");
        assertThat(SiteState.isJoined("stale")).isTrue();
    }

    @Test
    void aTrainingSiteOrOneNeverSeenIsNotStale() {
        assertThat(SiteState.of("training", seenSecondsAgo(3600), NOW)).isEqualTo("training");
        assertThat(SiteState.of("joined", Optional.empty(), NOW)).isEqualTo("joined");
        assertThat(SiteState.of("left", seenSecondsAgo(3600), NOW)).isEqualTo("left");
        assertThat(SiteState.isJoined("left")).isFalse();
        assertThat(SiteState.isJoined("revoked")).isFalse();
    }
}
