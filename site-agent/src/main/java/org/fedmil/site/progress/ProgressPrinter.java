package org.fedmil.site.progress;

import java.io.PrintStream;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.fedmil.mil.train.TrainingProgress;

/**
 * Shows a site's local training as it runs: on a terminal one bar redrawn in place with {@code \r}; otherwise (a
 * systemd journal, a log file) a plain line at most every {@link #LINE_INTERVAL_NANOS} and one when the training is
 * done, so that a long round shows it is alive without filling the journal.
 */
public final class ProgressPrinter implements TrainingProgress {

    /** Plain lines: at most one per 10 s (the last bag's line is always printed). */
    public static final long LINE_INTERVAL_NANOS = 10_000_000_000L;
    /** The bar: redrawn at most 10 times a second; a terminal cannot show more and the training should not wait. */
    static final long BAR_INTERVAL_NANOS = 100_000_000L;
    private static final int BAR_WIDTH = 20;

    private final PrintStream out;
    private final boolean terminal;
    private final LongSupplier nanoClock;
    private final String label;
    private long startedAt;
    private long lastShownAt;
    private boolean barOpen;

    /**
     * @param terminal  true when {@code out} is a terminal ({@code System.console() != null})
     * @param nanoClock {@link System#nanoTime()}, or a test's clock
     * @param label     what is training, e.g. "site hospital-a round 3"
     */
    public ProgressPrinter(PrintStream out, boolean terminal, LongSupplier nanoClock, String label) {
        this.out = out;
        this.terminal = terminal;
        this.nanoClock = nanoClock;
        this.label = label;
    }

    /** For the agent's console: a bar when standard output is a terminal, plain lines otherwise. */
    public static ProgressPrinter forConsole(PrintStream out, String label) {
        return new ProgressPrinter(out, System.console() != null, System::nanoTime, label);
    }

    @Override
    public void started(int epochs, int bags) {
        startedAt = nanoClock.getAsLong();
        lastShownAt = startedAt;
    }

    @Override
    public void stepDone(Step step) {
        long now = nanoClock.getAsLong();
        boolean last = step.done() == step.total();
        long interval = terminal ? BAR_INTERVAL_NANOS : LINE_INTERVAL_NANOS;
        if (!last && now - lastShownAt < interval) {
            return;
        }
        lastShownAt = now;
        String eta = eta(step, now - startedAt);
        if (terminal) {
            out.print("\r" + bar(step, eta));
            barOpen = true;
        } else {
            out.println(line(step, eta));
        }
        out.flush();
    }

    @Override
    public void finished() {
        if (barOpen) {
            out.println();
            out.flush();
            barOpen = false;
        }
    }

    /** The plain line, e.g. {@code site a round 3: epoch 1/2, bags 120/480 (12%), loss 0.6412, ETA 0:42}. */
    String line(Step step, String eta) {
        return String.format(Locale.ROOT, "%s: epoch %d/%d, bags %d/%d (%d%%), loss %.4f, ETA %s", label,
                step.epoch(), step.epochs(), step.bag(), step.bags(), percent(step), step.runningLoss(), eta);
    }

    String bar(Step step, String eta) {
        int filled = (int) (BAR_WIDTH * step.done() / step.total());
        return String.format(Locale.ROOT, "%s [%s%s] %3d%% epoch %d/%d bags %d/%d loss %.4f ETA %s ", label,
                "#".repeat(filled), ".".repeat(BAR_WIDTH - filled), percent(step), step.epoch(), step.epochs(),
                step.bag(), step.bags(), step.runningLoss(), eta);
    }

    private static int percent(Step step) {
        return (int) (100 * step.done() / step.total());
    }

    /** Time left at the pace so far, as m:ss or h:mm:ss; "done" at the end. */
    static String eta(Step step, long elapsedNanos) {
        long left = step.total() - step.done();
        if (left == 0) {
            return "done";
        }
        long seconds = Math.round(elapsedNanos / 1e9 / step.done() * left);
        long h = seconds / 3600;
        long m = seconds / 60 % 60;
        long s = seconds % 60;
        return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, s) : String.format(Locale.ROOT, "%d:%02d", m, s);
    }
}
