package io.equilibria.cli;

import io.equilibria.errors.Setting;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.run.RunListener;

/**
 * A run on the console: its messages on stderr (settings named by this command's options), and a progress bar of
 * images for a batch, of iterations for one image.
 */
final class ConsoleRunListener implements RunListener {
    private final Progress progress;
    private final boolean batch;
    private final Setting.Names names;

    ConsoleRunListener(Progress progress, boolean batch, Setting.Names names) {
        this.progress = progress;
        this.batch = batch;
        this.names = names;
    }

    @Override
    public void message(String line) {
        System.err.println("equilibria: " + Setting.annotate(line, names));
    }

    @Override
    public Deconvolution.PlaneListener solving(int index, int images) {
        if (batch) {
            progress.maxHint(images);
            return Deconvolution.PlaneListener.NONE;
        }
        return (plane, planes) -> (k, max, x, change) -> {
            progress.maxHint((long) planes * max);
            progress.step((long) plane * max + k, String.format("change %.2e", change));
            return true;
        };
    }

    @Override
    public void done(int done, int images) {
        if (batch) progress.step(done, null);
    }
}
