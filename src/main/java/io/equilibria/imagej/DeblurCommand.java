package io.equilibria.imagej;

import ai.djl.Device;
import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import io.equilibria.compute.Compute;
import io.equilibria.image.ChannelChoice;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfSpec;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.deq.PriorStrength;

import java.util.List;
import java.util.Map;

/**
 * {@code Plugins > Equilibria > Deblur (DEQ)...}: the CLI's {@code reconstruct deblur} on the current image or stack,
 * from a recordable {@link GenericDialog} (every field has a macro key). The PSF is a spec ({@code gaussian:2},
 * {@code airy:NA,LAMBDA,PIXEL}), a file path, or {@code image:TITLE} for an open image. The result keeps the input's
 * calibration and says how it was made (method, model, solver, iterations, device) in its Info. Esc cancels between
 * iterations and leaves no result.
 */
public final class DeblurCommand implements PlugIn {
    static final String TITLE = "Deblur (DEQ)";
    /** The classical methods only, for {@code Classical Deconvolution...} (plugins.config passes "classical"). */
    static final List<String> CLASSICAL = List.of("rl", "rltv", "wiener", "tv");

    @Override
    public void run(String arg) {
        boolean classical = "classical".equals(arg);
        String title = classical ? "Classical Deconvolution" : TITLE;
        ImagePlus imp = WindowManager.getCurrentImage();
        if (imp == null) {
            IJ.noImage();
            return;
        }
        GenericDialog gd = new GenericDialog(title);
        gd.addChoice("method", (classical ? CLASSICAL : MethodConfig.DEBLUR_METHODS).toArray(String[]::new), classical ? "rl" : "deq");
        CommandSupport.addPsfField(gd, "gaussian:2");
        if (!classical) CommandSupport.addModelFields(gd);
        if (!classical) gd.addStringField("prior_strength", "auto", 8);
        gd.addNumericField("noise_sigma", 0, 5, 8, "(0 = estimate)");
        gd.addNumericField("iterations", 0, 0, 8, "(0 = method default)");
        gd.addChoice("boundary", new String[] {"extended", "zero", "periodic"}, "extended");
        gd.addStringField("camera_offset", "auto", 8);
        gd.addCheckbox("multi-frame", false);
        gd.addChoice("device", new String[] {"auto", "cpu", "gpu"}, "auto");
        gd.showDialog();
        if (gd.wasCanceled()) return;
        String method = gd.getNextChoice();
        String psfText = gd.getNextString().trim();
        String model;
        try {
            model = classical ? null : CommandSupport.nextModel(gd);
        } catch (IllegalArgumentException e) {
            IJ.error(title, e.getMessage());
            return;
        }
        PriorStrength strength;
        try {
            strength = classical ? PriorStrength.AUTO : PriorStrength.parse(gd.getNextString());
        } catch (IllegalArgumentException e) {
            IJ.error(title, e.getMessage());
            return;
        }
        double sigma = gd.getNextNumber();
        int iterations = (int) gd.getNextNumber();
        String boundary = gd.getNextChoice();
        String offset = gd.getNextString().trim();
        boolean multiFrame = gd.getNextBoolean();
        String device = gd.getNextChoice();
        CommandSupport.runOffEdt(title, () -> {
            ImagePlus result = deblur(imp, method, psf(psfText), model, sigma, iterations, Boundary.parse(boundary), offset,
                    multiFrame, Compute.resolve(device), strength);
            if (result != null) result.show();
        });
    }

    /** The reconstruction itself, for the dialog and for tests; null if cancelled with Esc. */
    static ImagePlus deblur(ImagePlus imp, String method, Psf psf, String model, double sigma, int iterations,
                            Boundary boundary, boolean multiFrame, Device device) {
        return deblur(imp, method, psf, model, sigma, iterations, boundary, "auto", multiFrame, device);
    }

    /**
     * @param offset camera offset in the image's units: a number, {@code auto} (16-bit images with a flat dark
     *               background) or {@code none}; see {@link io.equilibria.image.Normalization}
     */
    static ImagePlus deblur(ImagePlus imp, String method, Psf psf, String model, double sigma, int iterations,
                            Boundary boundary, String offset, boolean multiFrame, Device device) {
        return deblur(imp, method, psf, model, sigma, iterations, boundary, offset, multiFrame, device, PriorStrength.AUTO);
    }

    /** @param strength the learned prior's strength (see {@code --strength}; ignored by classical methods) */
    static ImagePlus deblur(ImagePlus imp, String method, Psf psf, String model, double sigma, int iterations,
                            Boundary boundary, String offset, boolean multiFrame, Device device, PriorStrength strength) {
        ImageData in = ImageFiles.fromImagePlus(imp, ChannelChoice.NONE, null);
        boolean learned = MethodConfig.of(method).learned() && !method.equals("oder");
        MethodConfig m = new MethodConfig(method, iterations, Double.NaN, Double.NaN, model, null, null, learned ? strength : PriorStrength.AUTO);
        Deconvolution.Options options = new Deconvolution.Options(boundary,
                io.equilibria.image.Normalization.scaleSpec(offset), multiFrame,
                sigma > 0 ? sigma : Double.NaN, null);
        boolean[] cancelled = {false};
        Deconvolution.PlaneListener progress = (plane, planes) -> (k, max, z, residual) -> {
            IJ.showStatus(String.format(java.util.Locale.ROOT, "%s: plane %d/%d, iteration %d", TITLE, plane + 1, planes, k));
            IJ.showProgress(plane * max + k, planes * Math.max(1, max));
            if (IJ.escapePressed()) {
                cancelled[0] = true;
                return false;
            }
            return true;
        };
        Deconvolution.Outcome o = Deconvolution.run(in, psf, m, options, device, progress);
        IJ.showProgress(1.0);
        if (cancelled[0] || Boolean.TRUE.equals(o.report().get("cancelled"))) {
            IJ.resetEscape();
            IJ.showStatus(TITLE + ": cancelled");
            return null;
        }
        ImagePlus out = ImageFiles.toImagePlus(o.image(), imp.getShortTitle() + "-" + method);
        out.setCalibration(imp.getCalibration().copy());
        StringBuilder info = new StringBuilder("Equilibria " + TITLE + "\n");
        for (Map.Entry<String, String> e : o.image().info().entrySet()) info.append(e.getKey()).append(": ").append(e.getValue()).append('\n');
        info.append("report: ").append(o.report().get("planes")).append('\n');
        out.setProperty("Info", info.toString());
        return out;
    }

    /** A PSF spec or file, or {@code image:TITLE} for an open image. */
    static Psf psf(String text) {
        if (text.startsWith("image:")) {
            ImagePlus p = WindowManager.getImage(text.substring(6));
            if (p == null) throw new IllegalArgumentException("no open image called '" + text.substring(6) + "' for the PSF");
            return Psf.of(ImageFiles.fromImagePlus(p, ChannelChoice.NONE, null).planes(), p.getTitle());
        }
        return PsfSpec.parse(text).load();
    }
}
