package io.equilibria.cli;

import ai.djl.Device;
import io.equilibria.compute.Compute;
import io.equilibria.image.Calibration;
import io.equilibria.image.ChannelChoice;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.errors.InputException;
import io.equilibria.physics.MeasurementFile;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfSpec;
import io.equilibria.physics.SensingMatrix;
import io.equilibria.image.Volume;
import io.equilibria.simulate.Simulator;
import io.equilibria.train.data.PhantomGenerator;
import io.equilibria.train.data.VolumePhantomGenerator;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code simulate deblur|cs|phantom}: make blurred/noisy observations or CS measurements of a ground truth, or a
 * synthetic ground truth itself (a 2D phantom, or with {@code --3d} a calibrated z-stack).
 */
final class SimulateCommand implements Command {
    /** Options only {@code phantom} takes, and options it does not take ({@code --3d}: phantom and deblur, checked apart). */
    private static final List<String> PHANTOM_ONLY = List.of("size", "voxel-size", "kind"),
            NOT_PHANTOM = List.of("input", "psf", "frames", "anisotropy", "psf-output", "drift", "rotation", "motions-output", "boundary", "noise-sigma",
                    "photons", "ratio", "block", "operator", "groups", "channel", "device");

    @Override public String name() { return "simulate"; }
    @Override public String summary() { return "simulate blurred observations, compressed-sensing measurements or ground-truth phantoms"; }
    @Override public String arguments() { return "deblur|cs|phantom"; }

    @Override
    public Options options() {
        return new Options()
                .addOption(Args.opt("input", "GT", "deblur, cs: ground-truth image (TIFF, PNG, JPEG), required"))
                .addOption(Args.required("output", "FILE", "deblur: observation TIFF; cs: measurement file (.tif); phantom: 32-bit TIFF"))
                .addOption(Args.required("seed", "N", "random seed (noise, CS matrix, phantom)"))
                .addOption(Args.opt("size", "WxH[xD]", "phantom: size in pixels, WxH in 2D, WxHxD with --3d (default 256x256, 3D 256x256x64)"))
                .addOption(Args.opt("voxel-size", "XY,Z", "phantom: pixel size and z step in µm, written as the calibration; 2D uses XY (default 0.1,0.25)"))
                .addOption(Args.opt("kind", "K", "phantom: mixture | filaments | beads | cells | membranes (3D only) (default mixture)"))
                .addOption(Args.opt("psf", "SPEC", "deblur: FILE | gaussian:SIGMA_PX | airy:NA,LAMBDA_NM,PIXEL_NM | bornwolf:..."))
                .addOption(Args.opt("3d", null, "phantom: a 3D z-stack (default: one 2D plane) | deblur: the ground truth is a volume "
                        + "(z-stack) blurred by a 3D PSF; implied by a 3D PSF (bornwolf, gibsonlanni, a z-stack file) with one frame"))
                .addOption(Args.opt("frames", "K", "deblur: K views of the scene, one PSF each (default 1)"))
                .addOption(Args.opt("anisotropy", "A", "deblur, K>1 with a generator PSF: stretch of each view's PSF (default 2)"))
                .addOption(Args.opt("psf-output", "PSF.tif", "deblur, K>1: where to write the K-slice PSF stack (default OUTPUT_psf.tif)"))
                .addOption(Args.opt("drift", "PX", "deblur, K>1: the specimen drifts between views: views 2..K shifted by up to PX pixels "
                        + "in x and in y (uniform, from --seed; default 0)"))
                .addOption(Args.opt("rotation", "DEG", "deblur, K>1: views 2..K also turned by up to DEG degrees about the centre (default 0)"))
                .addOption(Args.opt("motions-output", "T.json", "deblur with --drift/--rotation: where to write the true transforms, in the "
                        + "register command's convention (default OUTPUT_motions.json)"))
                .addOption(Args.opt("boundary", "B", "deblur: scene outside the field: extended (mirrored, default) | zero (dark) | periodic"))
                .addOption(Args.opt("noise-sigma", "S", "Gaussian noise sigma as a fraction of the ground truth's peak (default 0)"))
                .addOption(Args.opt("photons", "P", "Poisson noise: expected photons at the peak (default: none)"))
                .addOption(Args.opt("ratio", "R", "cs: measurements per pixel, in (0,1]"))
                .addOption(Args.opt("block", "B", "cs: block size in pixels (default 32)"))
                .addOption(Args.opt("operator", "KIND", "cs: gaussian | hadamard (default gaussian)"))
                .addOption(Args.opt("groups", "I", "cs: row groups (blocks for ODER), default 8"))
                .addOption(Args.opt("channel", "C", "for colour input: red|green|blue|luminance or a channel number"))
                .addOption(Args.opt("device", "D", "auto | cpu | gpu (default auto)"));
    }

    /**
     * Scene motions of K views: view 1 still, views 2..K turned by up to {@code degrees} about the centre and shifted by
     * up to {@code drift} pixels in x and in y (uniform, from the seed).
     */
    static List<io.equilibria.image.registration.Transform2d> motions(int k, double drift, double degrees, int w, int h, long seed) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(seed ^ 0x5DEECE66DL);
        List<io.equilibria.image.registration.Transform2d> out = new java.util.ArrayList<>();
        out.add(io.equilibria.image.registration.Transform2d.identity());
        for (int i = 1; i < k; i++) {
            double a = degrees * (2 * r.nextDouble() - 1), dx = drift * (2 * r.nextDouble() - 1), dy = drift * (2 * r.nextDouble() - 1);
            out.add(io.equilibria.image.registration.Transform2d.rotation(a, (w - 1) / 2.0, (h - 1) / 2.0, dx, dy));
        }
        return out;
    }

    @Override
    public int run(CommandLine l) {
        List<String> rest = l.getArgList();
        if (rest.size() != 1 || !List.of("deblur", "cs", "phantom").contains(rest.get(0))) {
            throw new UsageException("say what to simulate: deblur, cs or phantom"
                    + (rest.isEmpty() ? "" : " (got " + String.join(" ", rest) + ")"));
        }
        boolean phantom = rest.get(0).equals("phantom");
        for (String o : phantom ? NOT_PHANTOM : PHANTOM_ONLY) {
            if (l.hasOption(o)) throw new UsageException("--" + o + " does not apply to simulate " + rest.get(0));
        }
        if (rest.get(0).equals("cs") && l.hasOption("3d")) throw new UsageException("--3d does not apply to simulate cs");
        if (phantom) return phantom(l);
        if (!l.hasOption("input")) throw new UsageException("--input is required for " + rest.get(0));
        Path in = Args.path(l, "input"), out = Args.path(l, "output");
        io.equilibria.batch.BatchPlan.guard(in, out);
        long seed = Args.lng(l, "seed", 0);
        double sigma = Args.dbl(l, "noise-sigma", 0), photons = Args.dbl(l, "photons", 0);
        Args.nonNegative("noise-sigma", sigma);
        Args.nonNegative("photons", photons);
        Noise noise = new Noise(sigma, photons, seed);
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        ImageData gt = ImageFiles.read(in, ChannelChoice.parse(l.getOptionValue("channel")));
        ImageFiles.requireFinite(gt, in.toString());
        if (rest.get(0).equals("deblur")) {
            if (!l.hasOption("psf")) throw new UsageException("--psf is required for deblur");
            int frames = Args.integer(l, "frames", 1);
            if (frames < 1) throw new UsageException("--frames must be >= 1");
            double aniso = Args.dbl(l, "anisotropy", 2);
            Args.positive("anisotropy", aniso);
            PsfSpec spec = PsfSpec.parse(l.getOptionValue("psf"));
            if (l.hasOption("3d") && frames > 1) throw new UsageException("--3d and --frames exclude each other");
            // a 3D PSF with one frame blurs a volume (--3d says so explicitly, and refuses a 2D PSF)
            Psf psf = frames > 1 ? spec.frames(frames, aniso) : spec.loadFor(false, l.hasOption("3d"));
            boolean volume = psf.isVolume();
            io.equilibria.physics.Boundary boundary = io.equilibria.physics.Boundary.parse(l.getOptionValue("boundary", "extended"));
            double drift = Args.dbl(l, "drift", 0), rotation = Args.dbl(l, "rotation", 0);
            Args.nonNegative("drift", drift);
            Args.nonNegative("rotation", rotation);
            boolean moving = drift > 0 || rotation > 0;
            if (moving && frames < 2) throw new UsageException("--drift and --rotation apply to --frames K >= 2");
            if (!moving && l.hasOption("motions-output")) throw new UsageException("--motions-output applies with --drift or --rotation");
            List<io.equilibria.image.registration.Transform2d> motions = moving
                    ? motions(frames, drift, rotation, gt.width(), gt.height(), seed) : null;
            Simulator.Blurred b = volume ? Simulator.deblurVolume(gt, psf, noise, boundary, device)
                    : moving ? Simulator.deblurMoving(gt, psf, noise, motions, boundary, device)
                    : Simulator.deblur(gt, psf, noise, frames > 1, boundary, device);
            b.observations().info().put("equilibria.simulation", Json.text(b.spec()).replace('\n', ' '));
            ImageFiles.writeFloatTiff(b.observations(), out);
            System.out.println("wrote " + out + " (" + b.observations().size() + " plane(s), psf " + psf.description()
                    + ", noise " + noise.kind() + ", device " + Compute.describe(device) + ")");
            if (frames > 1) {
                Path psfOut = l.hasOption("psf-output") ? Args.path(l, "psf-output")
                        : out.resolveSibling(io.equilibria.batch.BatchPlan.tifName(out.getFileName().toString()).replace(".tif", "_psf.tif"));
                io.equilibria.batch.BatchPlan.guard(in, psfOut);
                ImageData ps = new ImageData(psf.planes(), gt.calibration(), 32);
                ps.info().put("equilibria.psf", psf.description());
                ImageFiles.writeFloatTiff(ps, psfOut);
                System.out.println("wrote " + psfOut + " (" + frames + "-slice PSF stack for --multi-frame)");
            }
            if (moving) {
                Path mOut = l.hasOption("motions-output") ? Args.path(l, "motions-output")
                        : out.resolveSibling(io.equilibria.batch.BatchPlan.tifName(out.getFileName().toString()).replace(".tif", "_motions.json"));
                io.equilibria.batch.BatchPlan.guard(in, mOut);
                List<Map<String, Object>> views = new java.util.ArrayList<>();
                for (int k = 0; k < frames; k++) {
                    var t = motions.get(k).inverse(); // reference pixel -> the same point in view k
                    Map<String, Object> v = new java.util.LinkedHashMap<>();
                    v.put("frame", k + 1);
                    v.put("matrix", t.rows());
                    v.put("dx", t.tx());
                    v.put("dy", t.ty());
                    v.put("degrees", t.degrees());
                    views.add(v);
                }
                Map<String, Object> m = new java.util.LinkedHashMap<>();
                m.put("convention", "as the register command's transforms: the matrix maps a pixel (x, y) of frame 1 (origin at the first "
                        + "pixel's centre, y down) to the same point of the specimen in this frame");
                m.put("drift", drift);
                m.put("rotation", rotation);
                m.put("seed", seed);
                m.put("frames", views);
                io.equilibria.image.AtomicFiles.writeString(mOut, Json.text(m));
                System.out.println("wrote " + mOut + " (the true transforms)");
            }
        } else {
            if (!l.hasOption("ratio")) throw new UsageException("--ratio is required for cs");
            if (gt.size() != 1) throw new InputException(in, "cs simulation needs a single-plane image");
            double ratio = Args.dbl(l, "ratio", 0);
            if (!(ratio > 0 && ratio <= 1)) throw new UsageException("--ratio must be in (0, 1], got " + ratio);
            int block = Args.integer(l, "block", 32);
            if (block < 2 || block > 256) throw new UsageException("--block must be in 2..256");
            SensingMatrix.Kind kind = SensingMatrix.Kind.parse(l.getOptionValue("operator", "gaussian"));
            int groups = Args.integer(l, "groups", 8);
            Simulator.Measured m = Simulator.cs(gt.plane(0), kind, ratio, block, groups, noise, seed, device);
            MeasurementFile.write(out, m.measurements(), m.spec(), gt.calibration());
            System.out.println("wrote " + out + " (" + kind + " block CS, ratio " + ratio + ", block " + block
                    + ", " + m.measurements().height() + " blocks x " + m.measurements().width() + " rows, noise "
                    + noise.kind() + ", device " + Compute.describe(device) + ")");
        }
        return ExitCodes.OK;
    }

    /** {@code simulate phantom}: a synthetic ground truth, calibrated, written atomically. */
    private static int phantom(CommandLine l) {
        boolean is3d = l.hasOption("3d");
        Path out = Args.path(l, "output");
        long seed = Args.lng(l, "seed", 0);
        int[] size = size(l.getOptionValue("size", is3d ? "256x256x64" : "256x256"), is3d ? 3 : 2);
        double[] voxel = voxelSize(l.getOptionValue("voxel-size", VolumePhantomGenerator.DEFAULT_VOXEL_XY + ","
                + VolumePhantomGenerator.DEFAULT_VOXEL_Z));
        // a 2D phantom has no z step; its calibration still says the pixel size
        Calibration cal = new Calibration(voxel[0], voxel[0], is3d ? voxel[1] : 1, "micron", 0, "sec");
        ImageData data;
        String kind;
        if (is3d) {
            VolumePhantomGenerator.Kind k = Args.choice(l, "kind", VolumePhantomGenerator.Kind.class, VolumePhantomGenerator.Kind.MIXTURE);
            Volume v = new VolumePhantomGenerator(k).generate(size[0], size[1], size[2], voxel[0], voxel[1], seed);
            data = ImageData.stack(v.planes(), cal);
            kind = k.name().toLowerCase(java.util.Locale.ROOT);
        } else {
            if ("membranes".equalsIgnoreCase(l.getOptionValue("kind", "").trim())) {
                throw new UsageException("--kind membranes needs --3d (2D kinds: mixture, filaments, beads, cells)");
            }
            PhantomGenerator.Kind k = Args.choice(l, "kind", PhantomGenerator.Kind.class, PhantomGenerator.Kind.MIXTURE);
            data = ImageData.of(new PhantomGenerator(k).generate(size[0], size[1], seed), cal);
            kind = k.name().toLowerCase(java.util.Locale.ROOT);
        }
        String dims = size[0] + "x" + size[1] + (is3d ? "x" + size[2] : "");
        data.info().put("equilibria.phantom", kind + " " + dims + (is3d ? " voxel " + voxel[0] + "x" + voxel[0] + "x"
                + voxel[1] : " pixel " + voxel[0]) + " micron, seed " + seed);
        ImageFiles.writeFloatTiff(data, out);
        System.out.println("wrote " + out + " (" + kind + " phantom, " + dims + (is3d ? " voxels of " + voxel[0] + "x"
                + voxel[0] + "x" + voxel[1] : " pixels of " + voxel[0]) + " µm, seed " + seed + ")");
        return ExitCodes.OK;
    }

    /** "WxH" or "WxHxD", each a positive whole number. */
    static int[] size(String text, int dims) {
        String[] parts = text.trim().toLowerCase(java.util.Locale.ROOT).split("x", -1);
        String form = dims == 3 ? "WxHxD (with --3d)" : "WxH (without --3d)";
        if (parts.length != dims) throw new UsageException("--size must be " + form + ", got '" + text + "'");
        int[] out = new int[dims];
        long voxels = 1;
        for (int i = 0; i < dims; i++) {
            try {
                out[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--size must be " + form + " in whole pixels, got '" + text + "'");
            }
            if (out[i] < 1) throw new UsageException("--size must be positive, got '" + text + "'");
            voxels *= out[i];
        }
        if (voxels > Integer.MAX_VALUE) throw new UsageException("--size " + text + " is too large (over 2^31 voxels)");
        return out;
    }

    /** "XY,Z" (or "XY": the default z step) in µm, both positive. */
    static double[] voxelSize(String text) {
        String[] parts = text.split(",", -1);
        if (parts.length < 1 || parts.length > 2) throw new UsageException("--voxel-size must be XY,Z in µm, got '" + text + "'");
        double[] v = {0, VolumePhantomGenerator.DEFAULT_VOXEL_Z};
        for (int i = 0; i < parts.length; i++) {
            try {
                v[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new UsageException("--voxel-size must be XY,Z in µm, got '" + text + "'");
            }
            if (!(v[i] > 0) || !Double.isFinite(v[i])) throw new UsageException("--voxel-size must be positive, got '" + text + "'");
        }
        return v;
    }
}
