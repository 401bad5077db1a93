package io.equilibria.imagej;

import io.equilibria.errors.Setting;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.reconstruct.report.ReportJson;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import io.equilibria.models.ModelStore;

import java.awt.EventQueue;
import java.awt.GraphicsEnvironment;
import java.util.ArrayList;
import java.util.List;

/**
 * What every Equilibria menu command shares: running its work off the event-dispatch thread, the model choice (a
 * model found on the search path, or a file) and the PSF field (a spec, a file or an open image). All fields are
 * recordable: each has a macro key.
 */
final class CommandSupport {
    /** Name prefix of the worker threads {@link #runOffEdt} starts. */
    static final String WORKER_PREFIX = "Equilibria: ";
    /** The model choice entry that takes the model from {@code model_file}. */
    static final String MODEL_FILE = "file...";
    /** The worker thread {@link #runOffEdt} started last (null if none yet): for tests and diagnostics. */
    static volatile Thread lastWorker;

    private CommandSupport() {}

    /**
     * Runs a command's work: on this thread when it is not the event-dispatch thread (ImageJ's Executer normally runs
     * menu commands in their own thread), else on a new worker thread so the GUI stays responsive. The work runs with
     * the plugin's class loader as context class loader (DJL finds its engine through it); a runtime exception becomes
     * an ImageJ error message titled {@code title}.
     *
     * @return the worker thread started, or null when the work ran (and finished) on the calling thread
     */
    static Thread runOffEdt(String title, Runnable work) {
        Runnable guarded = () -> {
            ClassLoader old = Thread.currentThread().getContextClassLoader();
            Thread.currentThread().setContextClassLoader(CommandSupport.class.getClassLoader());
            try {
                work.run();
            } catch (RuntimeException e) {
                IJ.error(title, e.getMessage() != null ? Setting.annotate(e.getMessage(), CommandSupport::field) : e.toString());
            } finally {
                Thread.currentThread().setContextClassLoader(old);
            }
        };
        if (!EventQueue.isDispatchThread()) {
            guarded.run();
            return null;
        }
        Thread worker = new Thread(guarded, WORKER_PREFIX + title);
        lastWorker = worker;
        worker.start();
        return worker;
    }

    /** The current image, or null after telling the user there is none (ImageJ's "no image" message). */
    static ImagePlus currentImage() {
        ImagePlus imp = WindowManager.getCurrentImage();
        if (imp == null) IJ.noImage();
        return imp;
    }

    /**
     * A text field with a Browse... button (and file drop) where there is a GUI; headless, a plain text field: the
     * headless dialog of ij1-patcher (ImageJ/Fiji {@code --headless}) ignores file fields, so their value could not be
     * read. Either way {@link GenericDialog#getNextString} reads it and the macro key is the label's first word.
     */
    static void addFileField(GenericDialog gd, String label, String defaultValue, int columns) {
        if (GraphicsEnvironment.isHeadless()) gd.addStringField(label, defaultValue, columns);
        else gd.addFileField(label, defaultValue, columns);
    }

    /** The {@code model} choice ("default", the models found, "file...") and its {@code model_file} field. */
    static void addModelFields(GenericDialog gd) {
        List<String> models = new ArrayList<>(List.of("default"));
        models.addAll(ModelStore.available());
        models.add(MODEL_FILE);
        gd.addChoice("model", models.toArray(String[]::new), "default");
        addFileField(gd, "model_file", "", 28);
    }

    /** The model read from {@link #addModelFields}'s fields: null for the method's default, a name, or a file path. */
    static String nextModel(GenericDialog gd) {
        String choice = gd.getNextChoice();
        String file = gd.getNextString().trim();
        if (choice.equals(MODEL_FILE)) {
            if (file.isEmpty()) throw new IllegalArgumentException("model 'file...': choose a model file (NAME.json with NAME.params beside it)");
            return file;
        }
        return choice.equals("default") ? null : choice;
    }

    /**
     * The {@code psf} field: a generator spec ({@code gaussian:2}, {@code airy:NA,LAMBDA,PIXEL}), a file (Browse...,
     * or dropped on the field) or {@code image:TITLE} for an open image; the open images are listed below it.
     */
    static void addPsfField(GenericDialog gd, String defaultValue) {
        addFileField(gd, "psf", defaultValue, 28);
        StringBuilder hint = new StringBuilder("PSF: gaussian:SIGMA_PX, airy:NA,LAMBDA_NM,PIXEL_NM, a file, or image:TITLE;\nper channel: PSF1;PSF2;... or a multi-channel PSF");
        String[] titles = WindowManager.getImageTitles();
        if (titles.length > 0) {
            hint.append("\nopen images: ");
            for (int i = 0; i < Math.min(titles.length, 5); i++) hint.append(i > 0 ? ", " : "").append("image:").append(titles[i]);
            if (titles.length > 5) hint.append(", ...");
        }
        gd.addMessage(hint.toString());
    }

    /** The dialog field (macro key) of each setting the core's messages may name, or null. */
    static String field(Setting s) {
        return switch (s) {
            case METHOD -> "method";
            case MODEL -> "model";
            case STRENGTH -> "prior_strength";
            case ITERATIONS -> "iterations";
            case PSF -> "psf";
            case NOISE_SIGMA -> "noise_sigma";
            case BOUNDARY -> "boundary";
            case OFFSET -> "camera_offset";
            case MULTI_FRAME -> "multi-frame";
            case REGISTRATION -> "register_frames";
            case DEVICE -> "device";
            default -> null;
        };
    }

    /** A result's Info: how it was made (the image's info keys), then its report as JSON. */
    static String info(String title, Reconstruction o) {
        StringBuilder info = new StringBuilder("Equilibria " + title + "\n");
        o.image().info().forEach((k, v) -> info.append(k).append(": ").append(v).append('\n'));
        return info.append("report: ").append(ReportJson.text(o.report())).toString();
    }
}
