package io.equilibria.imagej;

import ij.ImagePlus;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import io.equilibria.compute.Compute;
import io.equilibria.image.ChannelChoice;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.Noise;
import io.equilibria.simulate.Simulator;

/**
 * {@code Plugins > Equilibria > Simulate Measurement...}: the current image as ground truth, blurred by a PSF (spec,
 * file or {@code image:TITLE}) with seeded Gaussian and/or Poisson noise, as {@code simulate deblur} does; the new
 * image keeps the calibration and records the simulation in its Info.
 */
public final class SimulateCommand implements PlugIn {
    @Override
    public void run(String arg) {
        ImagePlus imp = CommandSupport.currentImage();
        if (imp == null) return;
        GenericDialog gd = new GenericDialog("Simulate Measurement");
        CommandSupport.addPsfField(gd, "gaussian:2");
        gd.addNumericField("noise_sigma", 0.01, 4, 8, "(fraction of the peak)");
        gd.addNumericField("photons", 0, 0, 8, "(at the peak; 0 = no Poisson noise)");
        gd.addNumericField("seed", 1, 0, 8, "");
        gd.addChoice("boundary", new String[] {"extended", "zero", "periodic"}, "extended");
        gd.showDialog();
        if (gd.wasCanceled()) return;
        String psf = gd.getNextString().trim();
        double sigma = gd.getNextNumber(), photons = gd.getNextNumber();
        long seed = (long) gd.getNextNumber();
        String boundary = gd.getNextChoice();
        CommandSupport.runOffEdt("Simulate Measurement", () -> simulate(imp, psf, sigma, photons, seed, boundary).show());
    }

    static ImagePlus simulate(ImagePlus imp, String psf, double sigma, double photons, long seed, String boundary) {
        ImageData gt = ImageFiles.fromImagePlus(imp, ChannelChoice.NONE, null);
        // a 3D PSF blurs the stack as one volume, as on the command line
        io.equilibria.physics.Psf p = DeblurCommand.psf(psf, false, false);
        Noise noise = new Noise(sigma, photons, seed);
        Simulator.Blurred b = p.isVolume() ? Simulator.deblurVolume(gt, p, noise, Boundary.parse(boundary), Compute.resolve("cpu"))
                : Simulator.deblur(gt, p, noise, false, Boundary.parse(boundary), Compute.resolve("cpu"));
        ImagePlus out = ImageFiles.toImagePlus(b.observations(), imp.getShortTitle() + "-blurred");
        out.setCalibration(imp.getCalibration().copy());
        out.setProperty("Info", "Equilibria simulated measurement: " + b.spec() + "\n");
        return out;
    }
}
