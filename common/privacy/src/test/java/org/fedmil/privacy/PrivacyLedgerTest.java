package org.fedmil.privacy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyLedgerTest {

    private static final String SHA_A = "a".repeat(64);
    private static final String SHA_B = "b".repeat(64);
    private static final String SHA_C = "c".repeat(64);
    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private Path file;

    @BeforeEach
    void setUp() {
        file = tmp.resolve("state").resolve(PrivacyLedger.FILE_NAME);
    }

    @Test
    void aNewLedgerIsCreatedOnDiskAndHasSpentNothing() throws IOException {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, CLOCK);
        assertThat(file).exists();
        assertThat(ledger.spent().epsilon()).isZero();
        assertThat(ledger.releases()).isEmpty();
    }

    @Test
    void chargesSurviveReopeningTheFile() throws IOException {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, CLOCK);
        ledger.charge("fed-1", 1, SHA_A, 1, 1.0);
        PrivacySpent afterTwo = ledger.charge("fed-1", 2, SHA_B, 1, 1.0);

        PrivacyLedger reopened = PrivacyLedger.open(file, 1e-5, CLOCK);
        assertThat(reopened.spent()).isEqualTo(afterTwo);
        assertThat(reopened.releases()).hasSize(2);
        assertThat(reopened.releases().get(1)).isEqualTo(
                new PrivacyLedger.Release("fed-1", 2, 1.0, 1, SHA_B, CLOCK.instant()));
        // and the total is what the accountant gives for two full-participation releases at σ = 1
        assertThat(afterTwo.epsilon()).isCloseTo(RdpAccountant.epsilonOfSampledGaussian(1, 1.0, 2, 1e-5).epsilon(),
                within(1e-12));
    }

    @Test
    void wouldSpendPredictsTheNextChargeWithoutRecordingIt() throws IOException {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, CLOCK);
        ledger.charge("fed-1", 1, SHA_A, 1, 2.0);
        PrivacySpent predicted = ledger.wouldSpend(1, 2.0);
        assertThat(ledger.releases()).hasSize(1);
        assertThat(predicted.epsilon()).isGreaterThan(ledger.spent().epsilon());
        assertThat(ledger.charge("fed-1", 2, SHA_B, 1, 2.0)).isEqualTo(predicted);
    }

    @Test
    void resendingTheSameBytesForTheSameRoundIsChargedOnce() throws IOException {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, CLOCK);
        PrivacySpent once = ledger.charge("fed-1", 3, SHA_A, 1, 1.0);
        PrivacySpent again = ledger.charge("fed-1", 3, SHA_A.toUpperCase(), 1, 1.0);
        assertThat(again).isEqualTo(once);
        assertThat(PrivacyLedger.open(file, 1e-5, CLOCK).releases()).hasSize(1);
        // different bytes in the same round are a second release, and the same bytes in another federation too
        assertThat(ledger.charge("fed-1", 3, SHA_B, 1, 1.0).epsilon()).isGreaterThan(once.epsilon());
        assertThat(ledger.charge("fed-2", 3, SHA_A, 1, 1.0).epsilon()).isGreaterThan(once.epsilon());
        assertThat(ledger.releases()).hasSize(3);
    }

    @Test
    void theSameReleaseChargedWithAnotherNoiseLevelIsRefused() throws IOException {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, CLOCK);
        ledger.charge("fed-1", 1, SHA_A, 1, 1.0);
        assertThatThrownBy(() -> ledger.charge("fed-1", 1, SHA_A, 1, 2.0))
                .hasMessageContaining("cannot have two noise levels");
    }

    @Test
    void aReleaseThatWouldExceedTheLifetimeBudgetIsRefusedBeforeItIsRecorded() throws Exception {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, CLOCK);
        double oneRelease = ledger.wouldSpend(1, 1.0).epsilon();
        double twoReleases = RdpAccountant.epsilonOfSampledGaussian(1, 1.0, 2, 1e-5).epsilon();
        double limit = (oneRelease + twoReleases) / 2; // room for one release, not two
        ledger.chargeWithin("fed-1", 1, SHA_A, 1, 1.0, limit);

        assertThatThrownBy(() -> ledger.chargeWithin("fed-1", 2, SHA_B, 1, 1.0, limit))
                .isInstanceOf(PrivacyBudgetExceededException.class)
                .hasMessageContaining("lifetime privacy budget is ε = " + limit)
                .hasMessageContaining(String.format(java.util.Locale.ROOT, "spent so far ε = %.4f", oneRelease))
                .hasMessageContaining(String.format(java.util.Locale.ROOT, "would be ε = %.4f", twoReleases))
                .hasMessageContaining(file.toString())
                .hasMessageContaining("Nothing was recorded");
        assertThat(ledger.releases()).hasSize(1);
        assertThat(PrivacyLedger.open(file, 1e-5, CLOCK).releases()).hasSize(1);
        // a resend of the release already paid for still goes through
        assertThat(ledger.chargeWithin("fed-1", 1, SHA_A, 1, 1.0, limit).epsilon()).isEqualTo(oneRelease);
    }

    @Test
    void theExceptionCarriesTheNumbers() throws Exception {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, CLOCK);
        try {
            ledger.chargeWithin("fed-1", 1, SHA_A, 1, 0.5, 0.1);
            throw new AssertionError("expected a refusal");
        } catch (PrivacyBudgetExceededException e) {
            assertThat(e.lifetimeEpsilon()).isEqualTo(0.1);
            assertThat(e.spent().epsilon()).isZero();
            assertThat(e.wouldSpend().epsilon()).isGreaterThan(0.1);
            assertThat(e.ledger()).isEqualTo(file);
        }
    }

    @Test
    void openingAtAnotherDeltaIsRefused() throws IOException {
        PrivacyLedger.open(file, 1e-5, CLOCK);
        assertThatThrownBy(() -> PrivacyLedger.open(file, 1e-6, CLOCK))
                .hasMessageContaining(file.toString()).hasMessageContaining("accounts at δ = 1.0E-5");
    }

    @Test
    void aCorruptLedgerIsRefusedWithItsPathAndNotReset() throws IOException {
        PrivacyLedger.open(file, 1e-5, CLOCK).charge("fed-1", 1, SHA_A, 1, 1.0);
        String good = Files.readString(file, StandardCharsets.UTF_8);
        Files.writeString(file, good.substring(0, good.length() / 2), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PrivacyLedger.open(file, 1e-5, CLOCK))
                .isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("NOT reset");
        assertThat(Files.readString(file, StandardCharsets.UTF_8)).isEqualTo(good.substring(0, good.length() / 2));
    }

    @Test
    void aLedgerWhoseTotalDoesNotMatchItsReleasesIsRefused() throws IOException {
        PrivacyLedger ledger = PrivacyLedger.open(file, 1e-5, CLOCK);
        ledger.charge("fed-1", 1, SHA_A, 1, 1.0);
        ledger.charge("fed-1", 2, SHA_C, 1, 1.0);
        // someone deletes a release by hand to win back budget
        String json = Files.readString(file, StandardCharsets.UTF_8);
        int second = json.indexOf("\"federationId\"", json.indexOf("\"federationId\"") + 1);
        int cut = json.lastIndexOf(",", second);
        String edited = json.substring(0, cut) + "\n  ]\n}\n";
        Files.writeString(file, edited, StandardCharsets.UTF_8);
        assertThatThrownBy(() -> PrivacyLedger.open(file, 1e-5, CLOCK))
                .hasMessageContaining(file.toString())
                .hasMessageContaining("does not match the 1 recorded releases");
    }
}
