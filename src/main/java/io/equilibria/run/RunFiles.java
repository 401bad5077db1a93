package io.equilibria.run;

import io.equilibria.batch.Selection;
import io.equilibria.errors.InvalidRequestException;
import io.equilibria.errors.Setting;
import io.equilibria.image.ChannelChoice;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a run reads and writes: an input file or directory (a batch, mirrored under {@code output}), which files of
 * a directory, whether to resume, a ground truth (a file for one image: a PSNR trace; a directory for a batch: every
 * row scored), an optional side-by-side PNG (one image) and report (JSON, or CSV by its name). Null means none.
 */
public record RunFiles(Path input, Path output, ChannelChoice channel, Selection selection, boolean resume, Path reference,
                       Path sideBySide, Path report) {
    public RunFiles {
        if (input == null) throw new InvalidRequestException(Setting.INPUT, "is required");
        if (output == null) throw new InvalidRequestException(Setting.OUTPUT, "is required");
        if (channel == null) channel = ChannelChoice.NONE;
        boolean batch = io.equilibria.batch.BatchPlan.isBatch(input);
        if (selection == null) selection = Selection.ALL;
        if (!batch && (resume || !selection.equals(Selection.ALL))) {
            throw new InvalidRequestException(Setting.INPUT, "is one file, so there is nothing to select or resume (that needs a directory)");
        }
        if (batch && reference != null && !Files.isDirectory(reference)) {
            throw new InvalidRequestException(Setting.REFERENCE, "must be a directory of ground truths when the input is a directory");
        }
        if (batch && sideBySide != null) throw new InvalidRequestException(Setting.SIDE_BY_SIDE, "needs a single input image");
    }

    /** A folder or a list of images: a batch (mirrored outputs, a journal, a failing image skipped). */
    public boolean batch() { return io.equilibria.batch.BatchPlan.isBatch(input); }

    public RunFiles withChannel(ChannelChoice c) {
        return new RunFiles(input, output, c, selection, resume, reference, sideBySide, report);
    }
}
