package org.fedmil.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ledger charging patient-level DP-SGD: a round's release is its local steps at the bag sampling rate. */
class PrivacyLedgerDpSgdTest {

    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    @Test
    void aRoundOfDpSgdIsChargedAsItsStepsAndTheRoundsCompose() throws Exception {
        Path file = tmp.resolve(PrivacyLedger.FILE_NAME);
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, CLOCK);
        ledger.charge("fed-1", 1, SHA_A, 0.1, 1.1, 10);
        PrivacySpent two = ledger.charge("fed-1", 2, SHA_B, 0.1, 1.1, 10);

        double expected = RdpAccountant.epsilonOfSampledGaussian(0.1, 1.1, 20, 1e-5).epsilon();
        assertThat(two.epsilon()).isCloseTo(expected, within(1e-9));
        // and it is far below what 20 unsampled releases would cost
        assertThat(two.epsilon()).isLessThan(RdpAccountant.epsilonOfSampledGaussian(1, 1.1, 20, 1e-5).epsilon() / 3);

        PrivacyLedger reopened = PrivacyLedger.open(file, 1e-5, CLOCK);
        assertThat(reopened.spent().epsilon()).isCloseTo(expected, within(1e-9));
        assertThat(reopened.releases()).extracting(PrivacyLedger.Release::steps).containsExactly(10, 10);
    }

    @Test
    void theLifetimeBudgetRefusesARoundOfStepsThatWouldPassIt() throws Exception {
        PrivacyLedger ledger = PrivacyLedger.open(tmp.resolve(PrivacyLedger.FILE_NAME), 1e-5, CLOCK);
        double oneRound = ledger.wouldSpend(0.1, 1.0, 10).epsilon();
        double limit = oneRound * 1.05; // two rounds cost less than twice one (subsampling), more than this
        ledger.chargeWithin("fed-1", 1, SHA_A, 0.1, 1.0, 10, limit);

        assertThatThrownBy(() -> ledger.chargeWithin("fed-1", 2, SHA_B, 0.1, 1.0, 10, limit))
                .isInstanceOf(PrivacyBudgetExceededException.class)
                .hasMessageContaining("over 10 steps");
        assertThat(ledger.releases()).hasSize(1);
    }

    @Test
    void theSameBytesChargedWithOtherStepsAreRefused() throws Exception {
        PrivacyLedger ledger = PrivacyLedger.open(tmp.resolve(PrivacyLedger.FILE_NAME), 1e-5, CLOCK);
        ledger.charge("fed-1", 1, SHA_A, 0.1, 1.0, 10);
        assertThat(ledger.charge("fed-1", 1, SHA_A, 0.1, 1.0, 10).epsilon())
                .isEqualTo(ledger.spent().epsilon());
        assertThatThrownBy(() -> ledger.charge("fed-1", 1, SHA_A, 0.1, 1.0, 20))
                .hasMessageContaining("10 steps").hasMessageContaining("20 steps");
        assertThatThrownBy(() -> ledger.charge("fed-1", 2, SHA_B, 0.1, 1.0, 0))
                .hasMessageContaining("at least one step");
    }

    @Test
    void aLedgerWrittenBeforeStepsExistedOpensWithOneStepPerRelease() throws Exception {
        Path file = tmp.resolve(PrivacyLedger.FILE_NAME);
        PrivacyLedger.open(file, 1e-5, CLOCK).charge("fed-1", 1, SHA_A, 1, 1.0);
        String json = Files.readString(file, StandardCharsets.UTF_8).replaceAll(",\\s*\"steps\"\\s*:\\s*1", "");
        assertThat(json).doesNotContain("steps");
        Files.writeString(file, json, StandardCharsets.UTF_8);

        PrivacyLedger old = PrivacyLedger.open(file, 1e-5, CLOCK);
        assertThat(old.releases()).extracting(PrivacyLedger.Release::steps).containsExactly(1);
        assertThat(old.spent().epsilon()).isCloseTo(
                RdpAccountant.epsilonOfSampledGaussian(1, 1.0, 1, 1e-5).epsilon(), within(1e-9));
    }

    @Test
    void aHandEditedStepCountIsCaughtNotBelieved() throws Exception {
        Path file = tmp.resolve(PrivacyLedger.FILE_NAME);
        PrivacyLedger.open(file, 1e-5, CLOCK).charge("fed-1", 1, SHA_A, 0.1, 1.0, 10);
        String json = Files.readString(file, StandardCharsets.UTF_8).replace("\"steps\" : 10", "\"steps\" : 1");
        Files.writeString(file, json, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PrivacyLedger.open(file, 1e-5, CLOCK))
                .hasMessageContaining("does not match").hasMessageContaining("NOT reset");
    }
}
