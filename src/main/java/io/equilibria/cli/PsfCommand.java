package io.equilibria.cli;

import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.physics.PsfGenerator;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

import java.nio.file.Path;
import java.util.List;

/** {@code psf gaussian|airy|bornwolf ... --output PSF.tif}: writes a unit-sum PSF as 32-bit TIFF. */
final class PsfCommand implements Command {
    @Override public String name() { return "psf"; }
    @Override public String summary() { return "generate a PSF (Gaussian, 2D Airy, 3D Born & Wolf) as a TIFF"; }
    @Override public String arguments() { return "gaussian|airy|bornwolf"; }

    @Override
    public Options options() {
        return new Options()
                .addOption(Args.required("output", "PSF.tif", "output TIFF (32-bit, unit sum per plane)"))
                .addOption(Args.opt("sigma", "PX", "gaussian: standard deviation in pixels"))
                .addOption(Args.opt("na", "NA", "airy/bornwolf: numerical aperture"))
                .addOption(Args.opt("wavelength", "NM", "airy/bornwolf: emission wavelength in nm"))
                .addOption(Args.opt("pixel-size", "NM", "airy/bornwolf: pixel size in the sample plane, nm"))
                .addOption(Args.opt("refractive-index", "N", "bornwolf: immersion refractive index (default 1.518)"))
                .addOption(Args.opt("z-step", "NM", "bornwolf: distance between planes in nm (default 200)"))
                .addOption(Args.opt("slices", "NZ", "bornwolf: number of planes (default 33)"))
                .addOption(Args.opt("size", "PX", "width=height in pixels (odd; default: covers the PSF)"))
                .addOption(Args.opt("device", "D", "auto | cpu (PSF generation is plain Java; gpu is refused)"));
    }

    @Override
    public int run(CommandLine l) {
        List<String> rest = l.getArgList();
        if (rest.size() != 1) throw new UsageException("give one PSF type: gaussian, airy or bornwolf");
        String device = io.equilibria.compute.Compute.plainJava(l.getOptionValue("device"), "psf");
        int size = Args.integer(l, "size", 0);
        if (size < 0 || (size > 0 && size % 2 == 0)) throw new UsageException("--size must be a positive odd number");
        Path out = Args.path(l, "output");
        List<Plane> planes;
        Calibration cal = Calibration.none();
        String spec;
        switch (rest.get(0)) {
            case "gaussian": {
                double sigma = need(l, "sigma");
                planes = List.of(PsfGenerator.gaussian(sigma, size));
                spec = "gaussian:" + sigma;
                break;
            }
            case "airy": {
                double na = need(l, "na"), lambda = need(l, "wavelength"), px = need(l, "pixel-size");
                planes = List.of(PsfGenerator.airy(na, lambda, px, size));
                cal = new Calibration(px / 1000, px / 1000, 1, "micron", 0, "sec");
                spec = "airy:" + na + "," + lambda + "," + px;
                break;
            }
            case "bornwolf": {
                double na = need(l, "na"), lambda = need(l, "wavelength"), px = need(l, "pixel-size");
                double n = Args.dbl(l, "refractive-index", 1.518), dz = Args.dbl(l, "z-step", 200);
                int nz = Args.integer(l, "slices", 33);
                Args.positive("z-step", dz);
                Args.positive("slices", nz);
                planes = PsfGenerator.bornWolf(na, lambda, px, n, dz, nz, size);
                cal = new Calibration(px / 1000, px / 1000, dz / 1000, "micron", 0, "sec");
                spec = "bornwolf:" + na + "," + lambda + "," + px + "," + n + "," + dz + "," + nz;
                break;
            }
            default:
                throw new UsageException("unknown PSF type '" + rest.get(0) + "' (gaussian, airy, bornwolf)");
        }
        ImageData d = new ImageData(planes, cal, 32);
        d.info().put("equilibria.psf", spec);
        ImageFiles.writeFloatTiff(d, out);
        System.out.println("wrote " + out + " (" + spec + ", " + planes.get(0).width() + "x" + planes.get(0).height()
                + (planes.size() > 1 ? "x" + planes.size() : "") + "; device " + device + ")");
        return ExitCodes.OK;
    }

    private static double need(CommandLine l, String name) {
        if (!l.hasOption(name)) throw new UsageException("--" + name + " is required for this PSF type");
        double v = Args.dbl(l, name, 0);
        Args.positive(name, v);
        return v;
    }
}
