package io.equilibria.cli;

import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A terminal progress bar (me.tongfei:progressbar: rate, elapsed time and ETA) when stderr is a console, otherwise silent, so batch logs stay
 * clean. Closing it ends the bar.
 */
final class Progress implements AutoCloseable {
    private final ProgressBar bar;

    Progress(String task, long total) {
        bar = System.console() != null && !Boolean.getBoolean("equilibria.quiet")
                ? new ProgressBarBuilder().setTaskName(task).setInitialMax(total).setStyle(ProgressBarStyle.ASCII)
                        .setUpdateIntervalMillis(250).continuousUpdate().showSpeed().build() // rate, elapsed and ETA
                : null;
    }

    void step(long done, String extra) {
        if (bar == null) return;
        bar.stepTo(done);
        if (extra != null) bar.setExtraMessage(extra);
    }

    void maxHint(long max) {
        if (bar != null) bar.maxHint(max);
    }

    @Override
    public void close() {
        if (bar != null) bar.close();
    }
}
