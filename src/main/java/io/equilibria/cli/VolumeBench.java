package io.equilibria.cli;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import com.fasterxml.jackson.databind.JsonNode;
import io.equilibria.batch.BatchRow;
import io.equilibria.compute.Compute;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.image.Stats;
import io.equilibria.image.Volume;
import io.equilibria.metrics.Scores;
import io.equilibria.models.ModelStore;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.physics.PsfSpec;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.run.ReconstructRequest;
import io.equilibria.run.ReconstructRunner;
import io.equilibria.run.RunFiles;
import io.equilibria.run.RunListener;
import io.equilibria.simulate.Simulator;
import io.equilibria.train.data.VolumePhantomGenerator;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.DefaultParser;
import org.apache.commons.cli.ParseException;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVPrinter;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * {@code bench 3d} (issue 22): 3D deconvolution of z-stacks in one run, with nothing but this program.
 * <p><b>Quality</b>: synthetic 3D phantoms made as {@code scripts/bench_3d.py} makes them (a phantom larger than the
 * field by the PSF's size, blurred with a zero boundary by a Born &amp; Wolf PSF, the central field cropped so the
 * stack receives light from outside it, Poisson–Gaussian noise, a float32 stack in photons), deconvolved by
 * {@code rl} and {@code deq} with the CLI's defaults, against a baseline measured in the same run: our RL with
 * {@code --boundary zero}, on the stack as it is and mirror-padded by the PSF's half size (then cropped), each at its
 * oracle-best iteration by PSNR against the truth. Every run is built from the command-line options by
 * {@link ReconstructCommand#request} and goes through {@link ReconstructRunner} (or the same request's solve), so it
 * measures what a user gets.
 * <p><b>Speed and memory</b>: seconds per RL iteration on large volumes with a 33³ Born &amp; Wolf PSF and each run's
 * peak RSS, every run a fresh child process ({@link ChildJvm}), extended boundary against zero boundary.
 * <p>The script adds what the product must not run: scikit-image's {@code richardson_lucy} as the peer.
 */
final class VolumeBench {
    /** Seeds of the phantoms: not the script's tune (101–102) nor holdout (9001–9004) seeds. */
    static final long SEED = 7001;
    /** The speed runs' PSF edge (voxels), as the issue asks; cut to the volume when it is smaller. */
    static final int SPEED_PSF = 33;

    /** A specimen and its optics; phantom i takes setup i mod 5 (the first four as the script's holdout cases). */
    record Setup(VolumePhantomGenerator.Kind kind, double voxelXY, double voxelZ, double na, double wavelengthNm, double index,
                 String immersion, double photons, double readNoise) {
        String kindName() { return kind.name().toLowerCase(Locale.ROOT); }
    }

    static final List<Setup> SETUPS = List.of(
            new Setup(VolumePhantomGenerator.Kind.MIXTURE, 0.1, 0.25, 1.3, 510, 1.518, "oil", 300, 2),
            new Setup(VolumePhantomGenerator.Kind.CELLS, 0.13, 0.3, 1.2, 580, 1.33, "water", 500, 2),
            new Setup(VolumePhantomGenerator.Kind.BEADS, 0.08, 0.2, 1.4, 520, 1.518, "oil", 150, 3),
            new Setup(VolumePhantomGenerator.Kind.MEMBRANES, 0.15, 0.4, 0.8, 550, 1.0, "air", 800, 2),
            new Setup(VolumePhantomGenerator.Kind.FILAMENTS, 0.12, 0.3, 1.1, 600, 1.33, "water", 200, 3));

    /** One benchmark case on disk: the noisy stack and the truth (both in photons), the PSF file and its size. */
    record Case(String name, Setup setup, long seed, Path stack, Path truth, Path psf, int[] psfSize) {}

    /** A reconstruction's score: final PSNR, best PSNR over its iterations and where, iterations run, wall seconds. */
    record Outcome(double psnr, double bestPsnr, int bestIteration, int iterations, double seconds) {}

    private VolumeBench() {}

    static int run(CommandLine l) throws IOException {
        int[] field = dims(l.getOptionValue("size", "96x96x32"), "size", "WxHxD");
        if (field[0] < 16 || field[1] < 16 || field[2] < 4) throw new UsageException("--size must be at least 16x16x4");
        List<int[]> speedSizes = new ArrayList<>();
        for (String s : l.getOptionValue("sizes", "64x256x256,64x512x512").split(",")) {
            int[] zyx = dims(s, "sizes", "ZxYxX");
            if (zyx[0] < 3 || zyx[1] < 8 || zyx[2] < 8) throw new UsageException("--sizes: every volume must be at least 3x8x8 (ZxYxX), got " + s.trim());
            speedSizes.add(zyx);
        }
        int phantoms = Args.integer(l, "phantoms", 3), iterations = Args.integer(l, "iterations", 10);
        int baselineIterations = Args.integer(l, "baseline-iterations", 100);
        if (phantoms < 1) throw new UsageException("--phantoms must be >= 1 (--skip-quality skips the quality part)");
        if (iterations < 1) throw new UsageException("--iterations must be >= 1");
        if (baselineIterations < 1) throw new UsageException("--baseline-iterations must be >= 1");
        boolean quality = !l.hasOption("skip-quality"), speed = !l.hasOption("skip-speed");
        if (!quality && !speed) throw new UsageException("--skip-quality and --skip-speed together leave nothing to measure");
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        String deviceWord = device.getDeviceType().equals("gpu") ? "gpu" : "cpu";
        // the model `reconstruct deblur --3d --method deq` uses, and whether it was trained for volumes
        String defaultDeq = MethodConfig.of("deq").modelName(false);
        String deqModel = l.getOptionValue("deq-model");
        boolean defaultIsVolume = isVolumeModel(defaultDeq);
        String deqSkip = null;
        if (deqModel != null) {
            ModelStore.resolve(deqModel); // a missing model fails now, not after the first phantom
        } else if (!defaultIsVolume) {
            deqSkip = "deq: skipped: no 3D DEQ model is shipped. `reconstruct deblur --3d --method deq` uses " + defaultDeq
                    + ", a 2D model (its denoiser applied to the volume's xy, xz and yz planes; far too slow on a volume on a CPU, see README "
                    + "\"3D deconvolution of z-stacks\"); name a model with --deq-model NAME|PATH (e.g. one made by `train deq --3d`)";
        }
        String deqUsed = deqModel != null ? deqModel : deqSkip == null ? defaultDeq : null;

        System.out.println("# bench 3d");
        System.out.println();
        System.out.println("device: " + Compute.describe(device) + "; rl and deq with the CLI's defaults, every run built from "
                + "`reconstruct deblur` options (rl: " + MethodConfig.VOLUME_RL_ITERATIONS + " iterations on a volume, extended boundary, "
                + "--normalize scale); deq model: " + (deqUsed == null ? "none (skipped)" : deqUsed + (isVolumeModel(deqUsed) ? " (3D)" : " (a 2D model)")));
        Path dir = Files.createTempDirectory("equilibria-bench-3d");
        List<List<Object>> csv = new ArrayList<>();
        try {
            if (quality) quality(dir, field, phantoms, baselineIterations, deqUsed, deqSkip, deviceWord, device, csv);
            if (speed) speed(dir, speedSizes, iterations, deviceWord, csv);
            if (l.hasOption("csv")) writeCsv(Args.path(l, "csv"), csv);
        } finally {
            try (var s = Files.walk(dir)) {
                s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
        return ExitCodes.OK;
    }

    private static void quality(Path dir, int[] field, int phantoms, int baselineIterations, String deqModel, String deqSkip,
                                String deviceWord, Device device, List<List<Object>> csv) throws IOException {
        int w = field[0], h = field[1], d = field[2];
        System.out.println();
        System.out.println("### Quality");
        System.out.println();
        System.out.printf(Locale.ROOT, "%d phantom(s), field %dx%dx%d (WxHxD), seeds %d..%d (used for nothing else). Each: a phantom larger than "
                        + "the field by the PSF's size, blurred with a zero boundary by a Born & Wolf PSF (as deep as the stack allows), the "
                        + "central field cropped (light from outside it, as in a microscope), Poisson-Gaussian noise (photons at the blurred "
                        + "field's 99.9th percentile, read noise in photons), a float32 stack in photons with its voxel size.%n",
                phantoms, w, h, d, SEED, SEED + phantoms - 1);
        System.out.printf(Locale.ROOT, "PSNR (dB) over the field, data range = the truth's max - min. Baseline: our rl with --boundary zero "
                + "and --iterations %d, on the stack as it is and mirror-padded by the PSF's half size (data padding, as the script pads for "
                + "scikit-image: there is no reflect boundary; cropped back), each at its oracle-best iteration by PSNR against the truth; "
                + "rl and deq run to their default stop.%n%n", baselineIterations);
        boolean deq = deqModel != null;
        System.out.println("| phantom (seed) | voxel µm | PSF (WxHxD), optics | photons / read | RL zero: best (it.) | RL zero, mirror-padded: best (it.) "
                + "| `rl` (its best, it.) | gain | " + (deq ? "`deq` (iterations) | gain | " : "") + "seconds rl / zero / mirror" + (deq ? " / deq" : "") + " |");
        System.out.println("|---|---|---|---|---|---|---|---|" + (deq ? "---|---|" : "") + "---|");
        List<Double> rlGains = new ArrayList<>(), deqGains = new ArrayList<>();
        boolean capped = false;
        for (int i = 0; i < phantoms; i++) {
            Setup s = SETUPS.get(i % SETUPS.size());
            Case c = makeCase(dir, i, s, w, h, d, SEED + i, device);
            Outcome rl = viaRunner(c, "rl", List.of(), deviceWord);
            Outcome zero = viaRunner(c, "rl-zero", List.of("--boundary", "zero", "--iterations", String.valueOf(baselineIterations)), deviceWord);
            Outcome mirror = mirrorPadded(c, baselineIterations, deviceWord);
            Outcome dq = deq ? viaRunner(c, "deq", List.of("--model", deqModel), deviceWord) : null;
            double baseline = Math.max(zero.bestPsnr(), mirror.bestPsnr());
            rlGains.add(rl.psnr() - baseline);
            if (dq != null) deqGains.add(dq.psnr() - baseline);
            capped |= atCap(zero) || atCap(mirror);
            System.out.printf(Locale.ROOT, "| %s (%d) | %sx%s | %dx%dx%d, NA %s %s nm %s | %.0f / %.0f | %.2f (%d%s) | %.2f (%d%s) | %.2f (%.2f, %d) | %+.2f | %s%s |%n",
                    c.name(), c.seed(), fmt(s.voxelXY()), fmt(s.voxelZ()), c.psfSize()[0], c.psfSize()[1], c.psfSize()[2], fmt(s.na()),
                    fmt(s.wavelengthNm()), s.immersion(), s.photons(), s.readNoise(), zero.bestPsnr(), zero.bestIteration(), atCap(zero) ? "*" : "",
                    mirror.bestPsnr(), mirror.bestIteration(), atCap(mirror) ? "*" : "", rl.psnr(), rl.bestPsnr(), rl.bestIteration(), rl.psnr() - baseline,
                    dq == null ? "" : String.format(Locale.ROOT, "%.2f (%d) | %+.2f | ", dq.psnr(), dq.iterations(), dq.psnr() - baseline),
                    String.format(Locale.ROOT, "%.1f / %.1f / %.1f", rl.seconds(), zero.seconds(), mirror.seconds())
                            + (dq == null ? "" : String.format(Locale.ROOT, " / %.1f", dq.seconds())));
            System.out.flush();
            csv.add(qualityRow(c, "rl", "extended", rl));
            csv.add(qualityRow(c, "rl", "zero", zero));
            csv.add(qualityRow(c, "rl", "zero, mirror-padded", mirror));
            if (dq != null) csv.add(qualityRow(c, "deq:" + deqModel, "extended", dq));
        }
        if (capped) {
            System.out.println("\n* the baseline's best is its last iteration (--baseline-iterations " + baselineIterations
                    + "), so it may still have been rising: more iterations can only raise its oracle best (and lower the gains)");
        }
        System.out.println();
        System.out.println(gainLine("rl", rlGains, baselineIterations));
        if (deq) System.out.println(gainLine("deq", deqGains, baselineIterations));
        else System.out.println(deqSkip);
    }

    /** Whether a baseline's oracle-best iteration is its last one (the cap may have stopped it while it still rose). */
    private static boolean atCap(Outcome o) {
        return o.bestIteration() >= o.iterations();
    }

    private static String gainLine(String method, List<Double> gains, int baselineIterations) {
        double mean = gains.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
        double worst = gains.stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN);
        return String.format(Locale.ROOT, "%s gain over best zero-boundary RL: %+.2f dB mean, %+.2f dB worst (%d phantom(s); per phantom the "
                + "better of RL zero and RL zero mirror-padded, each at its oracle-best iteration in 1..%d)", method, mean, worst, gains.size(),
                baselineIterations);
    }

    private static List<Object> qualityRow(Case c, String method, String boundary, Outcome o) {
        return List.of("quality", c.name() + " seed " + c.seed(), method, boundary, r(o.psnr()), Double.isNaN(o.bestPsnr()) ? "" : r(o.bestPsnr()),
                o.bestIteration() < 1 ? "" : o.bestIteration(), o.iterations(), r(o.seconds()), "", "");
    }

    /** The phantom, PSF, noisy stack and truth of case {@code i}, written to {@code dir} as the script writes them. */
    static Case makeCase(Path dir, int i, Setup s, int w, int h, int d, long seed, Device device) {
        String name = s.kindName();
        double px = s.voxelXY() * 1000, dz = s.voxelZ() * 1000;
        int nz = d % 2 == 1 ? d : d - 1; // as deep as the stack allows (odd), as wide as it needs
        Volume k = PsfGenerator.bornWolfVolume(s.na(), s.wavelengthNm(), px, s.index(), dz, nz, 0);
        int lateral = oddAtMost(Math.min(w, h));
        if (k.width() > lateral) k = PsfGenerator.bornWolfVolume(s.na(), s.wavelengthNm(), px, s.index(), dz, nz, lateral);
        Path psfFile = dir.resolve("case" + i + "_psf.tif");
        ImageData psfData = new ImageData(k.planes(), PsfSpec.microns(px, dz), 32);
        psfData.info().put("equilibria.psf", String.format(Locale.ROOT, "bornwolf:%s,%s,%s,%s,%s,%d", fmt(s.na()), fmt(s.wavelengthNm()),
                fmt(px), fmt(s.index()), fmt(dz), nz));
        ImageFiles.writeFloatTiff(psfData, psfFile);
        Psf psf = PsfSpec.parse(psfFile.toString()).loadVolume(); // as simulate and reconstruct load it
        Calibration cal = new Calibration(s.voxelXY(), s.voxelXY(), s.voxelZ(), "micron", 0, "sec");
        int bw = w + k.width(), bh = h + k.height(), bd = d + k.depth();
        Volume big = new VolumePhantomGenerator(s.kind()).generate(bw, bh, bd, s.voxelXY(), s.voxelZ(), seed);
        // the code `simulate deblur --3d --boundary zero` runs, without noise
        Simulator.Blurred b = Simulator.deblurVolume(ImageData.stack(big.planes(), cal), psf, Noise.none(), Boundary.ZERO, device);
        Volume blurred = Volume.of(b.observations().planes());
        // the field sits in the middle of the phantom, except that cells lie on the coverslip (z = 0), where a stack of them starts
        int z0 = s.kind() == VolumePhantomGenerator.Kind.CELLS ? 0 : k.depth() / 2, y0 = k.height() / 2, x0 = k.width() / 2;
        Volume truth = crop(big, x0, y0, z0, w, h, d), clean = crop(blurred, x0, y0, z0, w, h, d);
        double scale = s.photons() / Stats.percentile(new float[][] {clean.data()}, 99.9);
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + 1);
        float[] noisy = new float[clean.data().length], gt = new float[noisy.length];
        for (int v = 0; v < noisy.length; v++) {
            noisy[v] = (float) (Noise.poisson(r, Math.max(0, clean.data()[v] * scale)) + s.readNoise() * Noise.gaussian(r));
            gt[v] = (float) (truth.data()[v] * scale);
        }
        Path stack = dir.resolve("case" + i + "_stack.tif"), truthFile = dir.resolve("case" + i + "_truth.tif");
        ImageFiles.writeFloatTiff(ImageData.stack(new Volume(w, h, d, noisy).planes(), cal), stack);
        ImageFiles.writeFloatTiff(ImageData.stack(new Volume(w, h, d, gt).planes(), cal), truthFile);
        return new Case(name, s, seed, stack, truthFile, psfFile, new int[] {k.width(), k.height(), k.depth()});
    }

    /** {@code reconstruct deblur --input STACK --psf PSF --method M --reference TRUTH ...} through the CLI's request and runner. */
    private static Outcome viaRunner(Case c, String label, List<String> extra, String deviceWord) {
        String method = label.startsWith("deq") ? "deq" : "rl";
        List<String> args = new ArrayList<>(List.of("deblur", "--input", c.stack().toString(), "--psf", c.psf().toString(), "--method", method,
                "--reference", c.truth().toString(), "--output", c.stack().resolveSibling(c.stack().getFileName().toString()
                        .replace("_stack.tif", "_" + label + ".tif")).toString(), "--device", deviceWord));
        args.addAll(extra);
        CommandLine cl = reconstructOptions(args);
        ReconstructRequest request = ReconstructCommand.request(cl, false);
        RunFiles files = ReconstructCommand.files(cl);
        long t0 = System.nanoTime();
        ReconstructRunner.Summary s = ReconstructRunner.run(request, files, RunListener.NONE);
        double seconds = (System.nanoTime() - t0) / 1e9;
        BatchRow row = s.rows().get(0);
        JsonNode plane = row.report().get("planes").get(0);
        // a method whose report has no trace (its solves are not one iteration sequence) has no best iteration: NaN, -1
        JsonNode best = plane.path("bestPsnr"), at = plane.path("bestIteration");
        return new Outcome(row.psnr(), best.isNumber() ? best.asDouble() : Double.NaN, at.isNumber() ? at.asInt() : -1,
                plane.get("iterations").asInt(), seconds);
    }

    /**
     * RL with a zero boundary on the stack mirror-padded by the PSF's half size in every axis (the padding numpy's
     * {@code reflect} makes), cropped back: the request the CLI makes for {@code --boundary zero --iterations N}, solved
     * on the padded stack. The runner's PSNR trace needs a reference as large as the padded stack, so the trace over
     * the field is taken here: after every iteration the sums Σx, Σx², Σx·t over the field (x the iterate in the
     * solver's normalised units, t the truth), then PSNR_k from the affine map between the last iterate and the output.
     */
    private static Outcome mirrorPadded(Case c, int iterations, String deviceWord) {
        CommandLine cl = reconstructOptions(List.of("deblur", "--input", c.stack().toString(), "--psf", c.psf().toString(), "--method", "rl",
                "--boundary", "zero", "--iterations", String.valueOf(iterations), "--output", c.stack().resolveSibling("unused.tif").toString(),
                "--device", deviceWord));
        ReconstructRequest request = ReconstructCommand.request(cl, false);
        ImageData stack = ImageFiles.read(c.stack());
        Volume v = Volume.of(stack.planes());
        int px = c.psfSize()[0] / 2, py = c.psfSize()[1] / 2, pz = c.psfSize()[2] / 2;
        Volume padded = reflectPad(v, px, py, pz);
        float[] truth = Volume.of(ImageFiles.read(c.truth()).planes()).data();
        FieldTrace trace = new FieldTrace(truth, padded.width(), padded.height(), v.width(), v.height(), v.depth(), px, py, pz);
        long t0 = System.nanoTime();
        Reconstruction o = request.solve(ImageData.stack(padded.planes(), stack.calibration()), (p, n) -> (k, max, x, change) -> {
            trace.add(x);
            return true;
        });
        double seconds = (System.nanoTime() - t0) / 1e9;
        Volume out = crop(Volume.of(o.image().planes()), px, py, pz, v.width(), v.height(), v.depth());
        ImageData outData = ImageData.stack(out.planes(), stack.calibration()), truthData = ImageData.stack(new Volume(v.width(), v.height(), v.depth(), truth).planes(), stack.calibration());
        double psnr = Scores.ofVolume(truthData, outData).psnr();
        double[] psnrs = trace.psnr(out.data());
        if (Math.abs(psnrs[psnrs.length - 1] - psnr) > 0.01) {
            throw new IllegalStateException(String.format(Locale.ROOT, "mirror-padded baseline: the trace's last PSNR %.3f dB is not the output's %.3f dB",
                    psnrs[psnrs.length - 1], psnr));
        }
        int best = 0;
        for (int k = 1; k < psnrs.length; k++) if (psnrs[k] > psnrs[best]) best = k;
        return new Outcome(psnr, psnrs[best], best + 1, o.report().first().iterations(), seconds);
    }

    /** The per-iteration PSNR over the field of a padded solve, from sums kept after every iteration (see mirrorPadded). */
    static final class FieldTrace {
        private final float[] truth;
        private final int pw, ph, w, h, d, x0, y0, z0;
        private final List<double[]> sums = new ArrayList<>(); // Σx, Σx², Σx·t per iteration
        private final float[] last;
        private final double sumT, sumT2, range;

        FieldTrace(float[] truth, int paddedWidth, int paddedHeight, int w, int h, int d, int x0, int y0, int z0) {
            this.truth = truth;
            this.pw = paddedWidth;
            this.ph = paddedHeight;
            this.w = w;
            this.h = h;
            this.d = d;
            this.x0 = x0;
            this.y0 = y0;
            this.z0 = z0;
            this.last = new float[w * h * d];
            double st = 0, st2 = 0, lo = Double.POSITIVE_INFINITY, hi = Double.NEGATIVE_INFINITY;
            for (float t : truth) {
                st += t;
                st2 += (double) t * t;
                lo = Math.min(lo, t);
                hi = Math.max(hi, t);
            }
            sumT = st;
            sumT2 = st2;
            range = hi - lo;
        }

        void add(NDArray x) {
            float[] all;
            try (NDScope s = new NDScope()) {
                all = x.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            }
            if (all.length != (long) pw * ph * (d + 2 * z0)) throw new IllegalStateException("iterate of " + all.length + " voxels, not the padded stack's");
            double sx = 0, sx2 = 0, sxt = 0;
            int k = 0;
            for (int z = 0; z < d; z++) for (int y = 0; y < h; y++) {
                int from = ((z + z0) * ph + y + y0) * pw + x0;
                for (int xx = 0; xx < w; xx++, k++) {
                    double v = all[from + xx];
                    last[k] = all[from + xx];
                    sx += v;
                    sx2 += v * v;
                    sxt += v * truth[k];
                }
            }
            sums.add(new double[] {sx, sx2, sxt});
        }

        /** PSNR after every iteration, the output being {@code a·x + b} of the last iterate x (checked). */
        double[] psnr(float[] output) {
            int n = last.length;
            double mx = 0, mo = 0;
            for (int k = 0; k < n; k++) {
                mx += last[k];
                mo += output[k];
            }
            mx /= n;
            mo /= n;
            double cov = 0, var = 0, spread = 0;
            for (int k = 0; k < n; k++) {
                cov += (last[k] - mx) * (output[k] - mo);
                var += (last[k] - mx) * (last[k] - mx);
            }
            double a = cov / var, b = mo - a * mx;
            for (int k = 0; k < n; k++) spread = Math.max(spread, Math.abs(a * last[k] + b - output[k]));
            if (!(spread <= 1e-4 * Math.max(range, Math.abs(mo) + Math.abs(b)))) {
                throw new IllegalStateException("mirror-padded baseline: the output is not an affine map of the last iterate (off by " + spread + ")");
            }
            double[] out = new double[sums.size()];
            for (int i = 0; i < out.length; i++) {
                double[] s = sums.get(i);
                double se = a * a * s[1] + 2 * a * b * s[0] - 2 * a * s[2] + n * b * b - 2 * b * sumT + sumT2;
                out[i] = 10 * Math.log10(range * range / (Math.max(se, 0) / n));
            }
            return out;
        }
    }

    /** Speed and memory: each volume deconvolved by a fresh `reconstruct deblur --method rl` process, extended and zero boundary. */
    private static void speed(Path dir, List<int[]> sizes, int iterations, String deviceWord, List<List<Object>> csv) throws IOException {
        System.out.println();
        System.out.println("### Speed and memory");
        System.out.println();
        System.out.printf(Locale.ROOT, "RL on a random Poisson volume (mean 25 photons), Born & Wolf PSF NA 1.4, 520 nm, oil, voxel 0.1x0.1x0.2 µm, "
                + "%d^3 (cut to the volume when larger); each run a fresh `equilibria reconstruct deblur --method rl --iterations %d` process. "
                + "s / iteration = its report's solve seconds / iterations (JVM start and file I/O excluded; the start-up A^T 1 included); "
                + "peak RSS = that process's VmHWM (its report's peakRssMiB).%n%n", SPEED_PSF, iterations);
        System.out.println("| volume (ZxYxX) | PSF (WxHxD) | FFT grid (extended) | `rl` s / iteration | peak RSS (MiB) | zero boundary: s / iteration "
                + "| peak RSS (MiB) | extended / zero time |");
        System.out.println("|---|---|---|---|---|---|---|---|");
        for (int[] zyx : sizes) {
            int d = zyx[0], h = zyx[1], w = zyx[2];
            int nz = Math.min(SPEED_PSF, oddAtMost(d)), lateral = Math.min(SPEED_PSF, oddAtMost(Math.min(w, h)));
            Volume k = PsfGenerator.bornWolfVolume(1.4, 520, 100, 1.518, 200, nz, lateral);
            Path psf = dir.resolve("speed_psf.tif"), in = dir.resolve("speed.tif");
            ImageData psfData = new ImageData(k.planes(), PsfSpec.microns(100, 200), 32);
            psfData.info().put("equilibria.psf", "bornwolf:1.4,520,100,1.518,200," + nz + " (" + lateral + " px wide)");
            ImageFiles.writeFloatTiff(psfData, psf);
            SplittableRandom r = new SplittableRandom(1);
            List<Plane> planes = new ArrayList<>(d);
            for (int z = 0; z < d; z++) {
                float[] p = new float[w * h];
                for (int v = 0; v < p.length; v++) p[v] = Noise.poisson(r, 50 * r.nextDouble());
                planes.add(new Plane(w, h, p));
            }
            ImageFiles.writeFloatTiff(ImageData.stack(planes, PsfSpec.microns(100, 200)), in);
            planes = null;
            String volume = d + "x" + h + "x" + w, psfSize = k.width() + "x" + k.height() + "x" + k.depth();
            ChildRun ext = child(dir, in, psf, "extended", iterations, deviceWord);
            ChildRun zero = child(dir, in, psf, "zero", iterations, deviceWord);
            System.out.printf(Locale.ROOT, "| %s | %s | %s | %.3f | %.0f | %.3f | %.0f | %.2f |%n", volume, psfSize, ext.fftGrid(),
                    ext.secondsPerIteration(), ext.peakRssMiB(), zero.secondsPerIteration(), zero.peakRssMiB(),
                    ext.secondsPerIteration() / zero.secondsPerIteration());
            System.out.flush();
            for (ChildRun c : List.of(ext, zero)) {
                csv.add(List.of("speed", volume, "rl", c == ext ? "extended" : "zero", "", "", "", c.iterations(),
                        r(c.secondsPerIteration() * c.iterations()), r(c.secondsPerIteration()), Math.round(c.peakRssMiB())));
            }
            Files.deleteIfExists(in);
            Files.deleteIfExists(dir.resolve("speed_out.tif"));
        }
    }

    /** One child run of the speed part: seconds per iteration, peak RSS, iterations and the FFT grid, from its report. */
    record ChildRun(double secondsPerIteration, double peakRssMiB, int iterations, String fftGrid) {}

    private static ChildRun child(Path dir, Path in, Path psf, String boundary, int iterations, String deviceWord) throws IOException {
        Path out = dir.resolve("speed_out.tif"), report = dir.resolve("speed.json"), log = dir.resolve("speed.log");
        List<String> cmd = ChildJvm.command(List.of("reconstruct", "deblur", "--input", in.toString(), "--psf", psf.toString(), "--method", "rl",
                "--iterations", String.valueOf(iterations), "--boundary", boundary, "--output", out.toString(), "--report", report.toString(),
                "--device", deviceWord));
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        int rc;
        try {
            rc = proc.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            proc.destroy();
            throw new IllegalStateException("interrupted");
        }
        if (rc != 0) throw new IllegalStateException("the speed run failed (exit " + rc + "): " + String.join(" ", cmd) + "\n" + Files.readString(log));
        JsonNode r = Json.MAPPER.readTree(report.toFile());
        JsonNode plane = r.get("planes").get(0);
        int its = plane.get("iterations").asInt();
        return new ChildRun(plane.get("seconds").asDouble() / its, r.get("peakRssMiB").asDouble(), its,
                plane.path("operator").path("fftGrid").asText("?"));
    }

    /** Whether a model's card marks it as trained for volumes (3D deconvolution). */
    static boolean isVolumeModel(String nameOrPath) {
        Object v = ModelStore.readCard(ModelStore.resolve(nameOrPath)).architecture().hyperParameters().get("volume");
        return Boolean.TRUE.equals(v);
    }

    private static CommandLine reconstructOptions(List<String> args) {
        try {
            return new DefaultParser().parse(ReconstructOptions.options(), args.toArray(String[]::new));
        } catch (ParseException e) {
            throw new IllegalStateException("bench 3d built bad reconstruct options " + args + ": " + e.getMessage(), e);
        }
    }

    /** Numpy's {@code reflect} padding (edge voxel not repeated) by (px, py, pz) voxels on both sides. */
    static Volume reflectPad(Volume v, int px, int py, int pz) {
        int w = v.width() + 2 * px, h = v.height() + 2 * py, d = v.depth() + 2 * pz;
        float[] out = new float[w * h * d];
        int k = 0;
        for (int z = 0; z < d; z++) {
            int sz = reflect(z - pz, v.depth());
            for (int y = 0; y < h; y++) {
                int sy = reflect(y - py, v.height());
                for (int x = 0; x < w; x++, k++) out[k] = v.data()[v.index(reflect(x - px, v.width()), sy, sz)];
            }
        }
        return new Volume(w, h, d, out);
    }

    static int reflect(int i, int n) {
        if (n == 1) return 0;
        int period = 2 * (n - 1);
        int m = Math.floorMod(i, period);
        return m < n ? m : period - m;
    }

    static Volume crop(Volume v, int x0, int y0, int z0, int w, int h, int d) {
        float[] out = new float[w * h * d];
        for (int z = 0; z < d; z++) for (int y = 0; y < h; y++) {
            System.arraycopy(v.data(), v.index(x0, y0 + y, z0 + z), out, (z * h + y) * w, w);
        }
        return new Volume(w, h, d, out);
    }

    private static int oddAtMost(int n) {
        return n % 2 == 1 ? n : n - 1;
    }

    /** "AxBxC" as three positive whole numbers. */
    static int[] dims(String text, String option, String form) {
        String[] p = text.trim().toLowerCase(Locale.ROOT).split("x", -1);
        if (p.length != 3) throw new UsageException("--" + option + " takes " + form + ", got '" + text.trim() + "'");
        int[] out = new int[3];
        try {
            for (int i = 0; i < 3; i++) out[i] = Integer.parseInt(p[i].trim());
        } catch (NumberFormatException e) {
            throw new UsageException("--" + option + " takes " + form + " in whole voxels, got '" + text.trim() + "'");
        }
        if (Arrays.stream(out).anyMatch(v -> v < 1)) throw new UsageException("--" + option + " must be positive, got '" + text.trim() + "'");
        if ((long) out[0] * out[1] * out[2] > Integer.MAX_VALUE) throw new UsageException("--" + option + " " + text.trim() + " is too large");
        return out;
    }

    private static void writeCsv(Path file, List<List<Object>> rows) throws IOException {
        StringBuilder sb = new StringBuilder();
        try (CSVPrinter p = new CSVPrinter(sb, CSVFormat.DEFAULT.builder().setHeader("section", "case", "method", "boundary", "psnr", "best_psnr",
                "best_iteration", "iterations", "seconds", "seconds_per_iteration", "peak_rss_mib").build())) {
            for (List<Object> row : rows) p.printRecord(row);
        }
        io.equilibria.image.AtomicFiles.writeString(file, sb.toString());
        System.out.println();
        System.out.println("wrote " + file);
    }

    private static double r(double v) {
        return Math.round(v * 10000) / 10000.0;
    }

    private static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.valueOf(v);
    }
}
