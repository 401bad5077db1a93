package io.equilibria.experiment;

import io.equilibria.certify.data.IdxDataset;
import io.equilibria.errors.InputException;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Disjoint training and test subsets of an IDX folder for the GP comparison. A folder with the training files
 * ({@code train-images-idx3-ubyte[.gz]}) gives the first {@code train} training images and the first {@code test}
 * t10k images; a folder with only the t10k files (such as the shipped 200-image sample) is split: its first
 * {@code train} images train, the next {@code test} test.
 */
public record GpSplit(IdxDataset train, IdxDataset test, String source) {
    public static GpSplit load(Path dir, int train, int test) {
        Path trainImages = find(dir, "train-images-idx3-ubyte");
        if (trainImages != null) {
            IdxDataset tr = IdxDataset.read(trainImages, find(dir, "train-labels-idx1-ubyte", trainImages), train);
            Path t10k = find(dir, "t10k-images-idx3-ubyte", null);
            IdxDataset te = IdxDataset.read(t10k, find(dir, "t10k-labels-idx1-ubyte", t10k), test);
            check(tr.count() == train && te.count() == test, dir, train, test, tr.count() + " training and " + te.count() + " test");
            return new GpSplit(tr, te, "first " + train + " of the training files, first " + test + " of the t10k files");
        }
        Path t10k = find(dir, "t10k-images-idx3-ubyte", null);
        IdxDataset all = IdxDataset.read(t10k, find(dir, "t10k-labels-idx1-ubyte", t10k), train + test);
        check(all.count() == train + test, dir, train, test, all.count() + " t10k");
        return new GpSplit(all.slice(0, train), all.slice(train, train + test),
                "t10k files only: first " + train + " train, next " + test + " test");
    }

    private static void check(boolean ok, Path dir, int train, int test, String have) {
        if (!ok) throw new InputException(dir, "has only " + have + " images, asked for " + train + " train / " + test + " test");
    }

    /** The file named {@code stem} or {@code stem.gz} in dir; null if neither exists. */
    private static Path find(Path dir, String stem) {
        for (Path p : new Path[] {dir.resolve(stem + ".gz"), dir.resolve(stem)}) if (Files.isRegularFile(p)) return p;
        return null;
    }

    /** As {@link #find(Path, String)}, but missing is an error (naming {@code beside} when the pair is incomplete). */
    private static Path find(Path dir, String stem, Path beside) {
        Path p = find(dir, stem);
        if (p == null) throw new InputException(dir, "no " + stem + "[.gz]" + (beside == null ? "" : " beside " + beside.getFileName()));
        return p;
    }
}
