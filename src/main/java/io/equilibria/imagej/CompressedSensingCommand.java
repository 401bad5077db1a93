package io.equilibria.imagej;

import ai.djl.Device;
import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.io.FileInfo;
import ij.plugin.PlugIn;
import io.equilibria.compute.Compute;
import io.equilibria.image.ImageFiles;
import io.equilibria.physics.MeasurementFile;
import io.equilibria.reconstruct.methods.CompressedSensingReconstruction;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;

import java.nio.file.Path;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.run.ReconstructRequest;

/**
 * {@code Plugins > Equilibria > Compressed Sensing Reconstruction...}: {@code reconstruct cs} on a measurement file
 * (the current image's file when it is one, else the path typed in the dialog); the result is a new image that says how
 * it was made in its Info. The model is one found on the search path or a file ({@code model=file... model_file=PATH}).
 */
public final class CompressedSensingCommand implements PlugIn {
    static final String TITLE = "Compressed Sensing Reconstruction";

    @Override
    public void run(String arg) {
        ImagePlus current = WindowManager.getCurrentImage();
        FileInfo fi = current != null ? current.getOriginalFileInfo() : null;
        String path = fi != null && fi.directory != null ? Path.of(fi.directory, fi.fileName).toString() : "";
        GenericDialog gd = new GenericDialog(TITLE);
        CommandSupport.addFileField(gd, "measurement", path, 40);
        gd.addChoice("method", MethodConfig.CS_METHODS.toArray(String[]::new), "tv");
        CommandSupport.addModelFields(gd);
        gd.addNumericField("iterations", 0, 0, 8, "(0 = method default)");
        gd.addStringField("prior_strength", "auto", 8);
        gd.addChoice("device", new String[] {"auto", "cpu", "gpu"}, "auto");
        gd.showDialog();
        if (gd.wasCanceled()) return;
        String file = gd.getNextString().trim();
        String method = gd.getNextChoice();
        String model;
        try {
            model = CommandSupport.nextModel(gd);
        } catch (IllegalArgumentException e) {
            IJ.error(TITLE, e.getMessage());
            return;
        }
        int iterations = (int) gd.getNextNumber();
        io.equilibria.reconstruct.deq.PriorStrength strength;
        try {
            strength = io.equilibria.reconstruct.deq.PriorStrength.parse(gd.getNextString());
        } catch (IllegalArgumentException e) {
            IJ.error(TITLE, "prior_strength: " + e.getMessage());
            return;
        }
        String device = gd.getNextChoice();
        CommandSupport.runOffEdt(TITLE, () -> {
            if (file.isEmpty()) throw new IllegalArgumentException("choose a measurement file (made by 'simulate cs')");
            ImagePlus out = reconstruct(Path.of(file), method, model, iterations, Compute.resolve(device), strength);
            if (out != null) out.show();
        });
    }

    /** The reconstruction, for the dialog and for tests; null if cancelled with Esc. */
    static ImagePlus reconstruct(Path file, String method, String model, int iterations, Device device) {
        return reconstruct(file, method, model, iterations, device, io.equilibria.reconstruct.deq.PriorStrength.AUTO);
    }

    /** @param strength the learned prior's strength (auto: cross-validated on held-out rows; ignored by classical methods) */
    static ImagePlus reconstruct(Path file, String method, String model, int iterations, Device device,
                                 io.equilibria.reconstruct.deq.PriorStrength strength) {
        boolean strengthApplies = MethodConfig.takesStrength(method);
        ReconstructRequest request = ReconstructRequest.cs(new MethodConfig(method, iterations, Double.NaN, Double.NaN, model, null, null,
                strengthApplies ? strength : io.equilibria.reconstruct.deq.PriorStrength.AUTO), Double.NaN, device);
        boolean[] cancelled = {false};
        Reconstruction o = request.solve(MeasurementFile.read(file), (k, max, z, r) -> {
            IJ.showStatus(TITLE + ": iteration " + k);
            IJ.showProgress(k, Math.max(1, max));
            cancelled[0] |= IJ.escapePressed();
            return !cancelled[0];
        });
        IJ.showProgress(1.0);
        if (cancelled[0]) {
            IJ.resetEscape();
            return null;
        }
        ImagePlus out = ImageFiles.toImagePlus(o.image(), file.getFileName().toString().replaceFirst("\\.[^.]+$", "") + "-" + method);
        out.setProperty("Info", CommandSupport.info(TITLE, o));
        return out;
    }
}
