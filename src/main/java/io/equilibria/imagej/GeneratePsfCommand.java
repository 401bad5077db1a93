package io.equilibria.imagej;

import ij.IJ;
import ij.ImagePlus;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.physics.PsfGenerator;

import java.util.List;

/**
 * {@code Plugins > Equilibria > Generate PSF...}: a Gaussian or 2D Airy PSF (unit sum, centred) as a new 32-bit image,
 * the same generator as {@code equilibria psf}; its title is a PSF spec the other commands accept as {@code image:TITLE}.
 */
public final class GeneratePsfCommand implements PlugIn {
    @Override
    public void run(String arg) {
        GenericDialog gd = new GenericDialog("Generate PSF");
        gd.addChoice("kind", new String[] {"gaussian", "airy"}, "gaussian");
        gd.addNumericField("sigma", 2, 3, 8, "px (gaussian)");
        gd.addNumericField("na", 1.4, 3, 8, "(airy)");
        gd.addNumericField("wavelength", 520, 1, 8, "nm (airy)");
        gd.addNumericField("pixel_size", 65, 2, 8, "nm (airy)");
        gd.addNumericField("width", 0, 0, 8, "px, odd (0 = covers the PSF)");
        gd.showDialog();
        if (gd.wasCanceled()) return;
        String kind = gd.getNextChoice();
        double sigma = gd.getNextNumber(), na = gd.getNextNumber(), lambda = gd.getNextNumber(), pixel = gd.getNextNumber();
        int size = (int) gd.getNextNumber();
        CommandSupport.runOffEdt("Generate PSF", () -> generate(kind, sigma, na, lambda, pixel, size).show());
    }

    static ImagePlus generate(String kind, double sigma, double na, double lambda, double pixel, int size) {
        Plane p = kind.equals("airy") ? PsfGenerator.airy(na, lambda, pixel, size) : PsfGenerator.gaussian(sigma, size);
        String spec = kind.equals("airy") ? "airy:" + na + "," + lambda + "," + pixel : "gaussian:" + sigma;
        ImagePlus imp = ImageFiles.toImagePlus(new ImageData(List.of(p), Calibration.none(), 32), "psf-" + spec);
        imp.setProperty("Info", "Equilibria PSF " + spec + ", " + p.width() + "x" + p.height() + ", unit sum\n");
        return imp;
    }
}
