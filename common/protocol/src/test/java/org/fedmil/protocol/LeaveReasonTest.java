package org.fedmil.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class LeaveReasonTest {

    @Test
    void theLedgerPathOfABudgetRefusalDoesNotLeaveTheSite() {
        String message = "site policy rule 'dp.lifetime_epsilon': refusing the release (…). Nothing was recorded or "
                + "sent. The ledger is /home/alice/hospital-x/site-state/privacy-ledger.json. The operator can stop";

        String sent = LeaveReason.redact(message, Path.of("/home/alice/hospital-x/site-state"));

        assertThat(sent).doesNotContain("/home").doesNotContain("alice").doesNotContain("privacy-ledger.json")
                .contains("dp.lifetime_epsilon").contains("The ledger is <local path>. The operator can stop");
    }

    @Test
    void relativeConfiguredFoldersAndWindowsAndHomePathsAreTakenOutToo() {
        String message = "cannot read site-state/participation.json; data in D:\\scans\\bags and ~/x/y, see /tmp/a";

        String sent = LeaveReason.redact(message, Path.of("site-state"));

        assertThat(sent).isEqualTo("cannot read <local path>; data in <local path> and <local path>, see <local path>");
    }

    @Test
    void wordsWithSlashesAndNumbersAreLeftAlone() {
        assertThat(LeaveReason.redact("round 3/4 failed: and/or loss 0.5 (max_rounds)"))
                .isEqualTo("round 3/4 failed: and/or loss 0.5 (max_rounds)");
    }

    @Test
    void theColonAfterAPathStaysInTheSentence() {
        assertThat(LeaveReason.redact("cannot read /srv/x/case-17.svs: permission denied"))
                .isEqualTo("cannot read <local path>: permission denied");
    }

    @Test
    void aLongReasonIsCut() {
        assertThat(LeaveReason.redact("x".repeat(2000))).hasSize(LeaveReason.MAX_LENGTH);
    }

    @Test
    void aReasonIsSentOnOneLineAndIsNotCutInsideACharacter() {
        assertThat(LeaveReason.redact("training failed:\n\tat Foo.bar\r\n\u0000end")).isEqualTo("training failed: at Foo.bar end");

        String cut = LeaveReason.redact("x".repeat(LeaveReason.MAX_LENGTH - 2) + "\uD83D\uDE00" + "y".repeat(10));
        assertThat(cut).hasSizeLessThanOrEqualTo(LeaveReason.MAX_LENGTH).endsWith("x…");
    }
}
