package io.equilibria.cli;

import io.equilibria.errors.Setting;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.image.Volume;
import io.equilibria.physics.BeadPsf;
import io.equilibria.physics.GibsonLanni;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.PsfSpec;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

import java.nio.file.Path;
import java.util.List;

/**
 * {@code psf gaussian|airy|bornwolf|gibsonlanni|bead ... --output PSF.tif}: writes a unit-sum PSF as 32-bit TIFF. 3D
 * PSFs are one volume of unit total sum, calibrated in µm (ImageJ's "micron": pixel width/height = lateral pixel,
 * depth = z step); a bead PSF keeps the bead stack's calibration.
 */
final class PsfCommand implements Command {
    @Override public String name() { return "psf"; }
    @Override public String summary() { return "generate a PSF (Gaussian, 2D Airy, 3D Born & Wolf or Gibson-Lanni) or measure one from beads, as a TIFF"; }
    @Override public String arguments() { return "gaussian|airy|bornwolf|gibsonlanni|bead"; }

    @Override
    public Options options() {
        return new Options()
                .addOption(Args.required("output", "PSF.tif", "output TIFF (32-bit; unit sum, over the whole stack for 3D PSFs)"))
                .addOption(Args.opt("sigma", "PX", "gaussian: standard deviation in pixels"))
                .addOption(Args.opt("na", "NA", "airy/bornwolf/gibsonlanni: numerical aperture"))
                .addOption(Args.opt("wavelength", "NM", "airy/bornwolf/gibsonlanni: emission wavelength in nm"))
                .addOption(Args.opt("pixel-size", "NM", "airy/bornwolf/gibsonlanni: pixel size in the sample plane, nm"))
                .addOption(Args.opt("refractive-index", "N", "bornwolf: refractive index; gibsonlanni: immersion index n_i (default 1.518)"))
                .addOption(Args.opt("z-step", "NM", "bornwolf/gibsonlanni: distance between planes in nm (default 200)"))
                .addOption(Args.opt("slices", "NZ", "bornwolf/gibsonlanni: number of planes (default 33; focus on the middle one)"))
                .addOption(Args.opt("sample-index", "N", "gibsonlanni: sample refractive index n_s (default 1.33, water)"))
                .addOption(Args.opt("depth", "NM", "gibsonlanni: particle depth below the coverslip in nm (default 0); "
                        + "z is the nominal focal plane relative to it, positive deeper"))
                .addOption(Args.opt("coverslip-index", "N", "gibsonlanni: coverslip refractive index n_g (default 1.5)"))
                .addOption(Args.opt("coverslip-thickness", "UM", "gibsonlanni: coverslip thickness t_g in µm (default 170)"))
                .addOption(Args.opt("working-distance", "UM", "gibsonlanni: working distance (design immersion thickness) in µm (default 150)"))
                .addOption(Args.opt("design-immersion-index", "N", "gibsonlanni: immersion index the objective is designed for (default: n_i)"))
                .addOption(Args.opt("design-coverslip-index", "N", "gibsonlanni: design coverslip index (default: n_g)"))
                .addOption(Args.opt("design-coverslip-thickness", "UM", "gibsonlanni: design coverslip thickness in µm (default: t_g)"))
                .addOption(Args.opt("input", "BEADS.tif", "bead: z-stack of sub-resolution beads"))
                .addOption(Args.opt("beads", "N", "bead: average up to N isolated beads, brightest first (default 1)"))
                .addOption(Args.opt("size", "PX|WxHxD", "generators: width=height in pixels (odd; default: covers the PSF); "
                        + "bead: box WxHxD or N (odd; default 31x31x21)"))
                .addOption(Args.opt("device", "D", "auto | cpu (PSF generation is plain Java; gpu is refused)"));
    }

    @Override
    public Setting.Names settingNames() {
        return s -> switch (s) {
            case BEAD_BOX -> "--size";
            case BEADS -> "--beads";
            case INPUT -> "--input";
            case OUTPUT -> "--output";
            default -> null;
        };
    }

    @Override
    public int run(CommandLine l) {
        List<String> rest = l.getArgList();
        if (rest.size() != 1) throw new UsageException("give one PSF type: gaussian, airy, bornwolf, gibsonlanni or bead");
        String device = io.equilibria.compute.Compute.plainJava(l.getOptionValue("device"), "psf");
        Path out = Args.path(l, "output");
        if (rest.get(0).equals("bead")) return bead(l, out, device);
        int size = Args.integer(l, "size", 0);
        if (size < 0 || (size > 0 && size % 2 == 0)) throw new UsageException("--size must be a positive odd number");
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
                planes = PsfGenerator.bornWolfVolume(na, lambda, px, n, dz, nz, size).planes();
                cal = PsfSpec.microns(px, dz);
                spec = "bornwolf:" + na + "," + lambda + "," + px + "," + n + "," + dz + "," + nz;
                break;
            }
            case "gibsonlanni": {
                GibsonLanni.Params p = gibsonLanni(l, size);
                planes = GibsonLanni.volume(p).planes();
                cal = PsfSpec.microns(p.pixelNm(), p.zStepNm());
                spec = "gibsonlanni:" + p.na() + "," + p.wavelengthNm() + "," + p.pixelNm() + "," + p.zStepNm() + "," + p.slices()
                        + ",ni=" + p.ni() + ",ns=" + p.ns() + ",ng=" + p.ng() + ",depth=" + p.depthNm() + ",tg=" + p.tgUm()
                        + ",wd=" + p.workingDistanceUm() + ",ni0=" + p.niDesign() + ",ng0=" + p.ngDesign() + ",tg0=" + p.tgDesignUm();
                break;
            }
            default:
                throw new UsageException("unknown PSF type '" + rest.get(0) + "' (gaussian, airy, bornwolf, gibsonlanni, bead)");
        }
        write(planes, cal, spec, out, spec, device);
        return ExitCodes.OK;
    }

    private static GibsonLanni.Params gibsonLanni(CommandLine l, int size) {
        double na = need(l, "na"), lambda = need(l, "wavelength"), px = need(l, "pixel-size");
        double dz = Args.dbl(l, "z-step", 200);
        int nz = Args.integer(l, "slices", 33);
        Args.positive("z-step", dz);
        Args.positive("slices", nz);
        double ni = Args.dbl(l, "refractive-index", GibsonLanni.Params.NI), ng = Args.dbl(l, "coverslip-index", GibsonLanni.Params.NG);
        double tg = Args.dbl(l, "coverslip-thickness", GibsonLanni.Params.TG_UM), depth = Args.dbl(l, "depth", 0);
        double wd = Args.dbl(l, "working-distance", GibsonLanni.Params.WD_UM);
        Args.nonNegative("depth", depth);
        Args.nonNegative("coverslip-thickness", tg);
        Args.nonNegative("working-distance", wd);
        double tg0 = Args.dbl(l, "design-coverslip-thickness", tg);
        Args.nonNegative("design-coverslip-thickness", tg0);
        // one constructor call, so its checks see the final values (NA against the given immersion index)
        return new GibsonLanni.Params(na, lambda, px, dz, nz, size, ni, Args.dbl(l, "design-immersion-index", ni),
                Args.dbl(l, "sample-index", GibsonLanni.Params.NS), ng, Args.dbl(l, "design-coverslip-index", ng), tg, tg0, wd, depth);
    }

    private static int bead(CommandLine l, Path out, String device) {
        Path in = Args.path(l, "input");
        if (in == null) throw new UsageException("--input (the bead z-stack) is required for a bead PSF");
        int[] box = box(l.getOptionValue("size", "31x31x21"));
        int beads = Args.integer(l, "beads", 1);
        Args.positive("beads", beads);
        ImageData d = ImageFiles.read(in);
        ImageFiles.requireFinite(d, in.toString());
        if (d.size() < 3) throw new io.equilibria.errors.InputException(in, d.size() + " slice(s); a bead PSF needs a z-stack");
        BeadPsf.Result r = BeadPsf.extract(Volume.of(d.planes()), box[0], box[1], box[2], beads);
        Calibration c = d.calibration();
        write(r.psf().planes(), c != null && c.isCalibrated() ? c : Calibration.none(), "bead:" + in.getFileName(), out,
                r.description(), device);
        return ExitCodes.OK;
    }

    /** "31x31x21" or "31" (a cube). */
    static int[] box(String s) {
        String[] p = s.trim().toLowerCase(java.util.Locale.ROOT).split("x");
        if (p.length != 1 && p.length != 3) throw new UsageException("--size must be N or WxHxD, got '" + s + "'");
        int[] b = new int[3];
        try {
            for (int i = 0; i < 3; i++) b[i] = Integer.parseInt(p[p.length == 1 ? 0 : i].trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--size must be N or WxHxD whole numbers, got '" + s + "'");
        }
        for (int v : b) if (v < 3 || v % 2 == 0) throw new UsageException("--size must be odd and at least 3, got '" + s + "'");
        return b;
    }

    private static void write(List<Plane> planes, Calibration cal, String spec, Path out, String what, String device) {
        ImageData d = new ImageData(planes, cal, 32);
        d.info().put("equilibria.psf", spec);
        if (!what.equals(spec)) d.info().put("equilibria.psf.note", what);
        ImageFiles.writeFloatTiff(d, out);
        System.out.println("wrote " + out + " (" + what + ", " + planes.get(0).width() + "x" + planes.get(0).height()
                + (planes.size() > 1 ? "x" + planes.size() : "") + "; device " + device + ")");
    }

    private static double need(CommandLine l, String name) {
        if (!l.hasOption(name)) throw new UsageException("--" + name + " is required for this PSF type");
        double v = Args.dbl(l, name, 0);
        Args.positive(name, v);
        return v;
    }
}
