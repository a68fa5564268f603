package org.fedmil.site.progress;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.fedmil.mil.train.TrainingProgress.Step;
import org.junit.jupiter.api.Test;

class ProgressPrinterTest {

    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong clock = new AtomicLong(5 * SECOND);
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    private ProgressPrinter printer(boolean terminal) {
        return new ProgressPrinter(new PrintStream(bytes, true, StandardCharsets.UTF_8), terminal, clock::get,
                "site hospital-a round 3");
    }

    private String printed() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aPlainLineNamesEpochBagsPercentRunningLossAndEta() {
        ProgressPrinter p = printer(false);
        p.started(2, 100);
        clock.addAndGet(12 * SECOND);

        p.stepDone(new Step(1, 2, 40, 100, 0.64123));

        // 40 of 200 bags in 12 s: 160 left at 0.3 s each = 48 s
        assertThat(printed()).isEqualTo("site hospital-a round 3: epoch 1/2, bags 40/100 (20%), loss 0.6412, ETA 0:48"
                + System.lineSeparator());
    }

    @Test
    void plainLinesComeAtMostEveryTenSecondsAndTheLastBagAlwaysGetsOne() {
        ProgressPrinter p = printer(false);
        p.started(1, 10);
        for (int bag = 1; bag <= 10; bag++) {
            clock.addAndGet(4 * SECOND); // bag 1 at 4 s, …, bag 10 at 40 s
            p.stepDone(new Step(1, 1, bag, 10, 0.5));
        }
        p.finished();

        List<String> lines = printed().lines().toList();
        // 10 s after the start is bag 3 (12 s), then bag 6 (24 s), bag 9 (36 s); bag 10 because it is the last
        assertThat(lines).extracting(l -> l.replaceAll(".*bags (\\d+)/10.*", "$1"))
                .containsExactly("3", "6", "9", "10");
        assertThat(lines.get(3)).endsWith("bags 10/10 (100%), loss 0.5000, ETA done");
        assertThat(printed()).doesNotContain("\r");
    }

    @Test
    void aTerminalGetsOneBarRedrawnInPlaceAndANewLineWhenTrainingEnds() {
        ProgressPrinter p = printer(true);
        p.started(1, 4);
        for (int bag = 1; bag <= 4; bag++) {
            clock.addAndGet(SECOND);
            p.stepDone(new Step(1, 1, bag, 4, 0.25));
        }
        p.finished();

        String out = printed();
        assertThat(out.split("\r", -1)).hasSize(5); // one redraw per bag here: a second apart, more than 100 ms
        assertThat(out).contains("\rsite hospital-a round 3 [##########..........]  50% epoch 1/1 bags 2/4 loss 0.2500 ETA 0:02 ");
        assertThat(out).endsWith("[####################] 100% epoch 1/1 bags 4/4 loss 0.2500 ETA done " + System.lineSeparator());
        assertThat(out.chars().filter(c -> c == '\n').count()).isEqualTo(1);
    }

    @Test
    void theBarIsNotRedrawnMoreThanTenTimesASecond() {
        ProgressPrinter p = printer(true);
        p.started(1, 1000);
        for (int bag = 1; bag <= 1000; bag++) {
            clock.addAndGet(SECOND / 1000); // a whole training in one second
            p.stepDone(new Step(1, 1, bag, 1000, 0.1));
        }

        long redraws = printed().chars().filter(c -> c == '\r').count();
        assertThat(redraws).isBetween(10L, 11L);
    }

    @Test
    void etaOverAnHourShowsHours() {
        assertThat(ProgressPrinter.eta(new Step(1, 1, 1, 3, 0), 3600L * SECOND)).isEqualTo("2:00:00");
    }
}
