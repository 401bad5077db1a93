package io.equilibria.certify;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.EngineException;
import io.equilibria.compute.Compute;
import io.equilibria.errors.ModelException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Enumeration;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * A user's TorchScript classifier (saved with {@code torch.jit.save} after {@code torch.jit.script} or
 * {@code torch.jit.trace}; usually {@code .pt}, {@code .pth} or {@code .torchscript}) as the base classifier of
 * randomized smoothing, loaded offline by DJL's PyTorch engine. The model must map a float32 batch (B, C, H, W) to
 * logits (B, classes); its input is ((x − mean) / std) per channel, applied after the noise (see
 * {@link BlockClassifier}), so σ and certified radii are in the units of the unnormalised input.
 * <p>
 * Everything that can be checked is checked at load time: the file exists, is a TorchScript zip archive (not a
 * pickled state_dict), PyTorch loads it, and a dummy batch of two zero inputs of the stated shape gives logits of
 * shape (2, classes). Failures are {@link ModelException}s naming the file; bad arguments are
 * {@link IllegalArgumentException}s.
 */
public final class TorchScriptClassifier {
    private static final String HOW = "export it with torch.jit.script(model) or torch.jit.trace(model, example) "
            + "and torch.jit.save";

    private TorchScriptClassifier() {}

    /**
     * Loads a TorchScript classifier.
     *
     * @param file    the TorchScript archive
     * @param classes number of classes: the model's output is (B, classes)
     * @param chw     one input's (C, H, W)
     * @param mean    per-channel mean subtracted before the model (length C, or empty for none)
     * @param std     per-channel standard deviation divided by (length C, or empty for none)
     * @param device  where the model runs (its parameters are mapped there)
     * @return a classifier that owns the DJL model: close it to release the model
     * @throws ModelException           if the file is missing, not TorchScript, or does not map (2, C, H, W) to
     *                                  (2, classes)
     * @throws IllegalArgumentException for a bad number of classes, shape, mean or std
     */
    public static BlockClassifier load(Path file, int classes, int[] chw, float[] mean, float[] std, Device device) {
        if (classes < 1) throw new IllegalArgumentException("need at least one class, got " + classes);
        if (chw == null || chw.length != 3) throw new IllegalArgumentException("input shape must be (C, H, W)");
        for (int d : chw) if (d < 1) throw new IllegalArgumentException("bad input shape " + Arrays.toString(chw));
        if (mean == null) mean = new float[0];
        if (std == null) std = new float[0];
        if ((mean.length != 0 && mean.length != chw[0]) || (std.length != 0 && std.length != chw[0])) {
            throw new IllegalArgumentException("mean/std need one value per channel (" + chw[0] + ")");
        }
        checkArchive(file);

        Compute.engine(); // offline configuration before DJL looks for an engine
        String name = file.getFileName().toString();
        Model model = Model.newInstance(name, device, "PyTorch");
        BlockClassifier classifier = null;
        try {
            try {
                model.load(file, null, Map.of("mapLocation", "true"));
            } catch (IOException | MalformedModelException | EngineException e) {
                throw new ModelException(file, "PyTorch could not load it as TorchScript (" + firstLine(e) + "); " + HOW, e);
            }
            classifier = new BlockClassifier(model.getBlock(), classes, chw, mean, std, device, model);
            probe(file, classifier, classes, chw);
            return classifier;
        } catch (RuntimeException | Error e) {
            if (classifier != null) classifier.close(); // closes the model too
            else model.close();
            throw e;
        }
    }

    /** Runs two zero inputs through the model so a wrong shape or class count shows at load time. */
    private static void probe(Path file, BlockClassifier classifier, int classes, int[] chw) {
        String in = "(2, " + chw[0] + ", " + chw[1] + ", " + chw[2] + ")";
        float[][] logits;
        try {
            logits = classifier.logits(new float[2][classifier.inputLength()]);
        } catch (EngineException e) {
            throw new ModelException(file, "the model fails on an input of shape " + in + " (" + firstLine(e)
                    + "); check the stated input size (C, H, W)", e);
        } catch (IndexOutOfBoundsException e) {
            throw new ModelException(file, "the model returns several outputs for an input of shape " + in
                    + "; it must return one tensor of logits (B, " + classes + ")", e);
        } catch (IllegalStateException e) {
            throw new ModelException(file, e.getMessage() + " for an input of shape " + in
                    + "; check the number of classes and that the model returns logits (B, classes)", e);
        }
        for (float[] row : logits) {
            for (float v : row) {
                if (!Float.isFinite(v)) {
                    throw new ModelException(file, "the model returns non-finite logits for a zero input of shape " + in);
                }
            }
        }
    }

    /** Refuses a missing file, a non-zip and a zip that is not TorchScript (no code/), before PyTorch sees it. */
    static void checkArchive(Path file) {
        if (!Files.exists(file)) throw new ModelException(file, "no such file");
        if (!Files.isRegularFile(file)) throw new ModelException(file, "not a regular file");
        boolean pickle = false, code = false;
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                String n = entries.nextElement().getName();
                int slash = n.indexOf('/');
                String inner = slash < 0 ? n : n.substring(slash + 1); // entries sit under one top folder
                if (inner.equals("data.pkl")) pickle = true;
                if (inner.startsWith("code/")) code = true;
            }
        } catch (ZipException e) {
            throw new ModelException(file, "not a TorchScript archive (not a zip file: " + e.getMessage() + "); " + HOW, e);
        } catch (IOException e) {
            throw new ModelException(file, "cannot read it: " + e.getMessage(), e);
        }
        if (!pickle) throw new ModelException(file, "not a TorchScript archive (a zip without data.pkl); " + HOW);
        if (!code) {
            throw new ModelException(file, "not a TorchScript archive: it holds pickled data but no TorchScript code "
                    + "(a state_dict or a model saved with torch.save?); " + HOW);
        }
    }

    /** One line of an engine message: the last "…Error: …" line of a TorchScript traceback, else the first line. */
    static String firstLine(Throwable e) {
        String m = e.getMessage();
        if (m == null || m.isBlank()) return e.getClass().getSimpleName();
        String[] lines = m.strip().split("\\R");
        for (int i = lines.length - 1; i >= 0; i--) {
            String l = lines[i].strip();
            if (l.matches("^[A-Za-z_.]*(Error|Exception): .*")) return l;
        }
        return lines[0].strip();
    }
}
