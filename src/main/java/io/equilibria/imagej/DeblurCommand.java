package io.equilibria.imagej;

import ij.IJ;
import ij.ImagePlus;
import ij.WindowManager;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import io.equilibria.compute.Compute;
import io.equilibria.image.ChannelChoice;
import io.equilibria.image.Normalization;
import io.equilibria.image.ImageFiles;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfSpec;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.deq.PriorStrength;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.run.ReconstructRequest;

import java.util.List;

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
        ImagePlus imp = CommandSupport.currentImage();
        if (imp == null) return;
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
        // multi-frame only: frames aligned to the first (rotation and shift, ECC), each PSF turned with its frame
        gd.addCheckbox("register_frames", false);
        // a 3D PSF makes the stack one volume even when this is off (as on the command line)
        gd.addCheckbox("3D_volume", false);
        gd.addChoice("device", new String[] {"auto", "cpu", "gpu"}, "auto");
        gd.showDialog();
        if (gd.wasCanceled()) return;
        CommandSupport.runOffEdt(title, () -> { // a bad field becomes an error message naming it
            String method = gd.getNextChoice();
            String psfText = gd.getNextString().trim();
            String model = classical ? null : CommandSupport.nextModel(gd);
            PriorStrength strength = classical ? PriorStrength.AUTO : PriorStrength.parse(gd.getNextString());
            double sigma = gd.getNextNumber();
            int iterations = (int) gd.getNextNumber();
            Deconvolution.Options options = new Deconvolution.Options(Boundary.parse(gd.getNextChoice()),
                    Normalization.scaleSpec(gd.getNextString().trim()), gd.getNextBoolean(), sigma > 0 ? sigma : Double.NaN, null);
            if (gd.getNextBoolean()) options = options.withRegistration(io.equilibria.image.registration.RegistrationSpec.defaults());
            options = options.withVolume(gd.getNextBoolean());
            List<Psf> psfs = psfs(psfText, options.multiFrame(), options.volume());
            boolean strengthApplies = MethodConfig.takesStrength(method);
            ImagePlus result = deblur(imp, ReconstructRequest.deblur(new MethodConfig(method, iterations, Double.NaN, Double.NaN, model, null,
                    null, strengthApplies ? strength : PriorStrength.AUTO), psfs, options, Compute.resolve(gd.getNextChoice())));
            if (result != null) result.show();
        });
    }

    /** The reconstruction itself, for the dialog and for tests; null if cancelled with Esc. */
    static ImagePlus deblur(ImagePlus imp, ReconstructRequest request) {
        boolean[] cancelled = {false};
        Deconvolution.PlaneListener progress = (plane, planes) -> (k, max, z, residual) -> {
            IJ.showStatus(String.format(java.util.Locale.ROOT, "%s: %s %d/%d, iteration %d", TITLE,
                    request.deblur().volume() ? "volume tile" : "plane", plane + 1, planes, k));
            IJ.showProgress(plane * max + k, planes * Math.max(1, max));
            cancelled[0] |= IJ.escapePressed();
            return !cancelled[0];
        };
        // a multi-channel image: every channel, each with its PSF when one per channel was given
        Reconstruction o = request.solveChannels(ImageFiles.fromImagePlus(imp, ChannelChoice.ALL, null), progress);
        IJ.showProgress(1.0);
        if (cancelled[0] || o.report().wasCancelled()) {
            IJ.resetEscape();
            IJ.showStatus(TITLE + ": cancelled");
            return null;
        }
        ImagePlus out = ImageFiles.toImagePlus(o.image(), imp.getShortTitle() + "-" + request.method().method());
        if (o.image().channels() > 1) out = new ij.CompositeImage(out, imp.isComposite() ? ((ij.CompositeImage) imp).getMode() : IJ.COMPOSITE);
        out.setCalibration(imp.getCalibration().copy());
        out.setProperty("Info", CommandSupport.info(TITLE, o));
        return out;
    }

    /**
     * A PSF spec or file, or {@code image:TITLE} for an open image: per-frame planes for multi-frame, else a volume
     * when asked for or when it has several slices (a 3D PSF, with the image's calibration as its voxel size).
     */
    static List<Psf> psfs(String text, boolean multiFrame, boolean volume) {
        String[] parts = text.split(";");
        if (parts.length > 1) {
            List<Psf> out = new java.util.ArrayList<>();
            for (String part : parts) out.add(psf(part.trim(), multiFrame, volume));
            return out;
        }
        if (text.startsWith("image:")) {
            ImagePlus p = WindowManager.getImage(text.substring(6));
            if (p != null && p.getNChannels() > 1) { // a PSF per channel, as a multi-channel image
                List<Psf> out = new java.util.ArrayList<>();
                for (int c = 1; c <= p.getNChannels(); c++) {
                    io.equilibria.image.ImageData d = ImageFiles.fromImagePlus(p, ChannelChoice.number(c), null);
                    String name = p.getTitle() + " (channel " + c + ")";
                    out.add(multiFrame || (!volume && d.size() == 1) ? Psf.of(d.planes(), name)
                            : Psf.volume(io.equilibria.image.Volume.of(d.planes()), name, d.calibration()));
                }
                return out;
            }
            return List.of(psf(text, multiFrame, volume));
        }
        return PsfSpec.loadChannels(List.of(text), multiFrame, volume);
    }

    static Psf psf(String text, boolean multiFrame, boolean volume) {
        if (text.startsWith("image:")) {
            ImagePlus p = WindowManager.getImage(text.substring(6));
            if (p == null) throw new IllegalArgumentException("no open image called '" + text.substring(6) + "' for the PSF");
            io.equilibria.image.ImageData d = ImageFiles.fromImagePlus(p, ChannelChoice.NONE, null);
            if (multiFrame || (!volume && d.size() == 1)) return Psf.of(d.planes(), p.getTitle());
            return Psf.volume(io.equilibria.image.Volume.of(d.planes()), p.getTitle(), d.calibration());
        }
        return PsfSpec.parse(text).loadFor(multiFrame, volume);
    }
}
