package io.equilibria.cli;

import ij.ImagePlus;
import ij.io.FileSaver;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ShortProcessor;
import io.equilibria.TestSupport;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The commands as a user runs them: end to end, and every bad input with its exit code. */
class CliTest {
    @TempDir
    static Path dir;
    static Path gt;

    @BeforeAll
    static void groundTruth() {
        Plane s = TestSupport.scene(96, 80);
        float[] d = s.data().clone();
        for (int i = 0; i < d.length; i++) d[i] *= 200;
        gt = dir.resolve("gt.tif");
        FloatProcessor fp = new FloatProcessor(96, 80, d);
        ImagePlus imp = new ImagePlus("gt", fp);
        imp.getCalibration().pixelWidth = 0.1;
        imp.getCalibration().pixelHeight = 0.1;
        imp.getCalibration().setUnit("micron");
        new FileSaver(imp).saveAsTiff(gt.toString());
    }

    @Test
    void simulateReconstructAndScoreADeblurring() throws Exception {
        Path y = dir.resolve("blur.tif"), x = dir.resolve("out/rl.tif"), rep = dir.resolve("out/rl.json");
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:2",
                "--noise-sigma", "0.01", "--seed", "1", "--output", y.toString()));
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", "gaussian:2",
                "--method", "rl", "--output", x.toString(), "--report", rep.toString(), "--device", "cpu"));
        ImageData g = ImageFiles.read(gt), b = ImageFiles.read(y), r = ImageFiles.read(x);
        assertEquals(0.1, r.calibration().pixelWidth(), 1e-9, "calibration carried through");
        double range = ImageMetrics.dataRange(g.plane(0));
        assertTrue(ImageMetrics.psnr(g.plane(0), r.plane(0), range) > ImageMetrics.psnr(g.plane(0), b.plane(0), range) + 1);
        assertEquals(b.plane(0).sum(), r.plane(0).sum(), 0.03 * b.plane(0).sum(), "same intensity units as the input");
        String report = Files.readString(rep);
        assertTrue(report.contains("\"device\"") && report.contains("\"iterations\" : 30"), report);
        assertTrue(r.info().get("source-info").contains("equilibria.method = rl"));
    }

    @Test
    void thePriorStrengthIsChosenPerImageOrFixedAndBadValuesAreUsageErrors() throws Exception {
        Path y = dir.resolve("blur_strength.tif");
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:2",
                "--noise-sigma", "0.02", "--seed", "3", "--output", y.toString()));
        Path auto = dir.resolve("strength/auto.json"), fixed = dir.resolve("strength/fixed.json");
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", "gaussian:2", "--method", "deq",
                "--output", dir.resolve("strength/auto.tif").toString(), "--report", auto.toString()));
        String a = Files.readString(auto);
        assertTrue(a.contains("\"strengthRule\" : \"SURE") && a.contains("\"strengthSearch\""), a);
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", "gaussian:2", "--method", "deq",
                "--strength", "1.7", "--output", dir.resolve("strength/fixed.tif").toString(), "--report", fixed.toString()));
        String f = Files.readString(fixed);
        assertTrue(f.contains("\"strength\" : 1.7") && f.contains("\"strengthRule\" : \"fixed\""), f);
        for (String bad : new String[] {"0", "-1", "strong"}) {
            assertEquals(ExitCodes.USAGE, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", "gaussian:2",
                    "--method", "deq", "--strength", bad, "--output", dir.resolve("strength/bad.tif").toString()), bad);
        }
        assertEquals(ExitCodes.USAGE, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", "gaussian:2",
                "--method", "rl", "--strength", "2", "--output", dir.resolve("strength/rl.tif").toString()));
    }

    @Test
    void cameraOffsetImageComesBackInCameraUnits() {
        ShortProcessor sp = new ShortProcessor(64, 64);
        Plane s = TestSupport.scene(64, 64);
        for (int i = 0; i < 64 * 64; i++) sp.set(i, 1000 + Math.round(s.data()[i] * 3000));
        Path in = dir.resolve("camera16.tif"), out = dir.resolve("camera16_rl.tif");
        new FileSaver(new ImagePlus("c", sp)).saveAsTiff(in.toString());
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", in.toString(), "--psf", "gaussian:1",
                "--output", out.toString()));
        Plane r = ImageFiles.read(out).plane(0);
        Plane i = ImageFiles.read(in).plane(0);
        assertEquals(i.sum() / i.data().length, r.sum() / r.data().length, 30, "mean stays in camera units");
        assertTrue(r.min() > 0, "camera units, non-negative: min " + r.min());
        // with the offset known, RL works on the signal above it and the output keeps the pedestal
        Path known = dir.resolve("camera16_rl_offset.tif");
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", in.toString(), "--psf", "gaussian:1", "--offset", "1000",
                "--output", known.toString()));
        Plane k = ImageFiles.read(known).plane(0);
        assertTrue(k.min() >= 999.9, "offset kept: min " + k.min());
        assertEquals(i.sum() / i.data().length, k.sum() / k.data().length, 30, "mean stays in camera units");
    }

    @Test
    void multiFrameSimulationAndReconstruction() {
        Path y = dir.resolve("mf.tif"), psf = dir.resolve("mf_psf.tif"), x = dir.resolve("mf_rl.tif");
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:1.5", "--frames", "3",
                "--noise-sigma", "0.01", "--seed", "2", "--output", y.toString()));
        assertTrue(Files.exists(psf));
        assertEquals(3, ImageFiles.read(y).size());
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", psf.toString(),
                "--multi-frame", "--output", x.toString()));
        assertEquals(1, ImageFiles.read(x).size());
        assertEquals(3, Main.run("reconstruct", "deblur", "--input", y.toString(), "--psf", "gaussian:1.5",
                "--multi-frame", "--output", dir.resolve("mf_bad.tif").toString()), "PSF slices must match frames");
    }

    @Test
    void compressedSensingRoundTrip() {
        Path meas = dir.resolve("cs.tif"), x = dir.resolve("cs_tv.tif");
        assertEquals(0, Main.run("simulate", "cs", "--input", gt.toString(), "--ratio", "0.25", "--seed", "4",
                "--noise-sigma", "0.005", "--output", meas.toString()));
        assertEquals(0, Main.run("reconstruct", "cs", "--input", meas.toString(), "--output", x.toString()));
        Plane g = ImageFiles.read(gt).plane(0), r = ImageFiles.read(x).plane(0);
        assertEquals(g.width(), r.width());
        assertTrue(ImageMetrics.psnr(g, r, ImageMetrics.dataRange(g)) > 22, "CS TV PSNR");
        assertEquals(3, Main.run("reconstruct", "cs", "--input", gt.toString(), "--output", dir.resolve("no.tif").toString()),
                "a plain image is not a measurement file");
    }

    @Test
    void directoryInputMirrorsOutputsAndSkipsBadImages() throws Exception {
        Path in = dir.resolve("batch"), out = dir.resolve("batch_out");
        Files.createDirectories(in.resolve("sub"));
        Files.copy(gt, in.resolve("a.tif"));
        Files.copy(gt, in.resolve("sub/b.tif"));
        Files.write(in.resolve("broken.tif"), new byte[] {1, 2, 3});
        int code = Main.run("reconstruct", "deblur", "--input", in.toString(), "--psf", "gaussian:1", "--output",
                out.toString(), "--report", out.resolve("report.json").toString(), "--recursive");
        assertEquals(ExitCodes.PARTIAL, code);
        assertTrue(Files.exists(out.resolve("a.tif")) && Files.exists(out.resolve("sub/b.tif")));
        assertTrue(Files.readString(out.resolve("report.json")).contains("\"failed\" : 1"));
    }

    @Test
    void badInputsGiveClearErrorsAndExitCodes() throws Exception {
        Path out = dir.resolve("bad_out.tif");
        String o = out.toString();
        // missing file
        assertEquals(3, Main.run("reconstruct", "deblur", "--input", dir.resolve("nope.tif").toString(), "--psf", "gaussian:2", "--output", o));
        // truncated TIFF
        byte[] bytes = Files.readAllBytes(gt);
        Path cut = dir.resolve("cut.tif");
        Files.write(cut, java.util.Arrays.copyOf(bytes, bytes.length - 5000));
        assertEquals(3, Main.run("reconstruct", "deblur", "--input", cut.toString(), "--psf", "gaussian:2", "--output", o));
        // zero-size image (empty file, and a TIFF declaring 0x0)
        Path empty = dir.resolve("empty.png");
        Files.write(empty, new byte[0]);
        assertEquals(3, Main.run("reconstruct", "deblur", "--input", empty.toString(), "--psf", "gaussian:2", "--output", o));
        Path zero = dir.resolve("zero.tif");
        Files.write(zero, io.equilibria.image.ImageFilesTest.zeroWidthTiff());
        assertEquals(3, Main.run("reconstruct", "deblur", "--input", zero.toString(), "--psf", "gaussian:2", "--output", o));
        // NaN pixels
        float[] d = new float[32 * 32];
        d[5] = Float.NaN;
        Path nan = dir.resolve("nan.tif");
        new FileSaver(new ImagePlus("n", new FloatProcessor(32, 32, d))).saveAsTiff(nan.toString());
        assertEquals(3, Main.run("reconstruct", "deblur", "--input", nan.toString(), "--psf", "gaussian:1", "--output", o));
        // PSF larger than the image
        assertEquals(3, Main.run("reconstruct", "deblur", "--input", nan.toString(), "--psf", "gaussian:10", "--output", o));
        // unknown PSF spec
        assertEquals(3, Main.run("reconstruct", "deblur", "--input", gt.toString(), "--psf", "lorentz:3", "--output", o));
        // RGB image
        Path rgb = dir.resolve("rgb.png");
        ColorProcessor cp = new ColorProcessor(32, 32);
        cp.set(3, 3, 0xff0000);
        new FileSaver(new ImagePlus("c", cp)).saveAsPng(rgb.toString());
        assertEquals(3, Main.run("reconstruct", "deblur", "--input", rgb.toString(), "--psf", "gaussian:1", "--output", o));
        assertEquals(0, Main.run("reconstruct", "deblur", "--input", rgb.toString(), "--psf", "gaussian:1", "--channel", "red", "--output", o));
        // unwritable output directory (a regular file stands where the directory should be; root ignores permissions)
        Path blocker = dir.resolve("blocker");
        Files.writeString(blocker, "x");
        assertEquals(5, Main.run("reconstruct", "deblur", "--input", gt.toString(), "--psf", "gaussian:1",
                "--output", blocker.resolve("out.tif").toString()));
        // the input is never overwritten
        byte[] before = Files.readAllBytes(gt);
        assertEquals(5, Main.run("reconstruct", "deblur", "--input", gt.toString(), "--psf", "gaussian:1", "--output", gt.toString()));
        assertTrue(java.util.Arrays.equals(before, Files.readAllBytes(gt)));
        // usage errors
        assertEquals(2, Main.run("reconstruct", "deblur", "--input", gt.toString(), "--output", o));
        assertEquals(2, Main.run("reconstruct", "deblur", "--input", gt.toString(), "--psf", "gaussian:1", "--method", "magic", "--output", o));
        assertEquals(2, Main.run("reconstruct", "deblur", "--input", gt.toString(), "--psf", "gaussian:1", "--iterations", "many", "--output", o));
        assertEquals(2, Main.run("frobnicate"));
        assertEquals(0, Main.run("reconstruct", "--help"));
    }

    @Test
    void askingForAGpuWithoutOneStopsWithAnExplanation() {
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(err, true));
        int code;
        try {
            code = Main.run("reconstruct", "deblur", "--input", gt.toString(), "--psf", "gaussian:1", "--device", "gpu",
                    "--output", dir.resolve("gpu.tif").toString());
        } finally {
            System.setErr(old);
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(code != 0, "a GPU is present on this machine");
        assertEquals(ExitCodes.DEVICE, code);
        assertTrue(err.toString().contains("PYTORCH_LIBRARY_PATH"), err.toString());
        assertTrue(!Files.exists(dir.resolve("gpu.tif")));
    }

    @Test
    void everyComputingCommandRefusesAMissingGpu() {
        java.io.PrintStream old = System.err;
        System.setErr(new java.io.PrintStream(new java.io.ByteArrayOutputStream(), true));
        try {
            int probe = Main.run("bench", "deq", "--sizes", "16", "--repeats", "1", "--device", "gpu");
            org.junit.jupiter.api.Assumptions.assumeTrue(probe != 0, "a GPU is present on this machine");
            assertEquals(ExitCodes.DEVICE, probe);
            assertEquals(ExitCodes.DEVICE, Main.run("bench", "--sizes", "64", "--repeats", "1", "--device", "gpu"));
            assertEquals(ExitCodes.DEVICE, Main.run("experiment", "linear-deq", "--output", dir.resolve("e").toString(), "--device", "gpu"));
            assertEquals(ExitCodes.DEVICE, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:1", "--seed", "1",
                    "--output", dir.resolve("s.tif").toString(), "--device", "gpu"));
            assertEquals(ExitCodes.DEVICE, Main.run("psf", "gaussian", "--sigma", "1", "--output", dir.resolve("p.tif").toString(), "--device", "gpu"));
            assertEquals(ExitCodes.DEVICE, Main.run("metrics", "--reference", gt.toString(), "--input", gt.toString(), "--device", "gpu"));
            assertTrue(!Files.exists(dir.resolve("e")) && !Files.exists(dir.resolve("s.tif")) && !Files.exists(dir.resolve("p.tif")));
        } finally {
            System.setErr(old);
        }
    }

    @Test
    void experimentsWriteTablesPlotsAndASummaryNamingTheDevice() throws Exception {
        Path e = dir.resolve("lin");
        assertEquals(0, Main.run("experiment", "linear-deq", "--output", e.toString(), "--samples", "60", "--epochs", "6",
                "--matrix-epochs", "6", "--device", "cpu"));
        for (String f : new String[] {"scalar.csv", "matrix.csv", "drift.csv", "conserved.png", "identity_error.png",
                "distance.png", "drift.png", "summary.json"}) {
            assertTrue(Files.size(e.resolve(f)) > 100, f);
        }
        String summary = Files.readString(e.resolve("summary.json"));
        assertTrue(summary.contains("\"device\" : \"cpu"), summary);
        java.util.List<String> csv = Files.readAllLines(e.resolve("scalar.csv"));
        assertEquals(7, csv.size()); // header + 6 epochs
        assertTrue(javax.imageio.ImageIO.read(e.resolve("drift.png").toFile()).getWidth() >= 800);
        assertEquals(ExitCodes.USAGE, Main.run("experiment", "nonsense", "--output", e.toString()));
        assertEquals(ExitCodes.USAGE, Main.run("experiment", "single-index", "--output", e.toString(), "--lr", "-1"));
    }

    @Test
    void experimentGeqComparesTheShippedModelsWithTablesAndPlots() throws Exception {
        Path e = dir.resolve("geq");
        assertEquals(0, Main.run("experiment", "geq", "--output", e.toString(), "--models", "geq-mnist,geq-linear-mnist,mondeq-matched-mnist",
                "--count", "40", "--sigmas", "0.1,0.3", "--rs-n", "60", "--rs-count", "3", "--radii", "0,0.25", "--device", "cpu"));
        java.util.List<String> stability = Files.readAllLines(e.resolve("geq_stability.csv"));
        assertEquals(1 + 3 * 2, stability.size(), "one row per model and sigma");
        java.util.List<String> models = Files.readAllLines(e.resolve("geq_models.csv"));
        assertEquals(4, models.size());
        for (String row : models.subList(1, 4)) {
            double acc = Double.parseDouble(row.split(",")[1]);
            assertTrue(acc > 0.8, "shipped MNIST classifiers are accurate on the sample images: " + row);
        }
        // noise moves the logits more at the larger sigma, for every model
        for (int m = 0; m < 3; m++) {
            double small = Double.parseDouble(stability.get(1 + 2 * m).split(",")[2]), large = Double.parseDouble(stability.get(2 + 2 * m).split(",")[2]);
            assertTrue(large > small && small > 0, stability.get(1 + 2 * m) + " / " + stability.get(2 + 2 * m));
        }
        assertEquals(1 + 3 * 2, Files.readAllLines(e.resolve("geq_certified.csv")).size(), "one row per model and radius");
        assertTrue(javax.imageio.ImageIO.read(e.resolve("geq_stability.png").toFile()).getWidth() >= 800);
        assertTrue(Files.readString(e.resolve("summary.json")).contains("gaussian kernel"), "the summary names each model's kernel and solver");
        assertEquals(ExitCodes.USAGE, Main.run("experiment", "geq", "--output", e.toString(), "--models", "no-such-model"));
        assertEquals(ExitCodes.USAGE, Main.run("experiment", "geq", "--output", e.toString(), "--sigmas", "0.1,-2"));
    }

    @Test
    void psfCommandWritesEachKind() {
        assertEquals(0, Main.run("psf", "gaussian", "--sigma", "1.5", "--output", dir.resolve("g.tif").toString()));
        assertEquals(0, Main.run("psf", "airy", "--na", "1.4", "--wavelength", "520", "--pixel-size", "65",
                "--output", dir.resolve("a.tif").toString()));
        assertEquals(0, Main.run("psf", "bornwolf", "--na", "1.2", "--wavelength", "520", "--pixel-size", "65",
                "--slices", "5", "--z-step", "300", "--output", dir.resolve("bw.tif").toString()));
        ImageData bw = ImageFiles.read(dir.resolve("bw.tif"));
        assertEquals(5, bw.size());
        double total = 0; // a 3D PSF has unit sum over the volume (per-plane sums were the output before issue 22)
        for (int i = 0; i < bw.size(); i++) total += bw.plane(i).sum();
        assertEquals(1.0, total, 1e-4);
        assertEquals(0.065, bw.calibration().pixelWidth(), 1e-6);
        assertEquals(2, Main.run("psf", "gaussian", "--output", dir.resolve("g2.tif").toString()));
        assertEquals(0, Main.run("metrics", "--reference", gt.toString(), "--input", gt.toString()));
    }
}
