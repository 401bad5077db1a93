package io.equilibria.imagej;

import ij.ImagePlus;
import ij.Macro;
import ij.WindowManager;
import ij.macro.Interpreter;
import ij.measure.Calibration;
import ij.process.FloatProcessor;
import io.equilibria.TestSupport;
import io.equilibria.image.Plane;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code Deblur (DEQ)...} headless, with macro options as the recorder writes them. ij1-patcher patches ImageJ for
 * headless dialogs through its Java agent (see the pom's {@code imagej-tests} execution), before any ij.* class loads.
 */
class DeblurCommandTest {
    @Test
    void deblursTheCurrentImageFromMacroOptions() {
        Plane scene = TestSupport.scene(64, 64);
        ImagePlus imp = new ImagePlus("cells", new FloatProcessor(64, 64, scene.data().clone()));
        Calibration cal = imp.getCalibration();
        cal.pixelWidth = cal.pixelHeight = 0.065;
        cal.setUnit("um");
        Interpreter.batchMode = true;
        try {
            WindowManager.setTempCurrentImage(imp);
            Macro.setOptions(Thread.currentThread(), "method=rl psf=gaussian:1.5 model=default noise_sigma=0 iterations=10 "
                    + "boundary=extended device=cpu");
            new DeblurCommand().run("");
            ImagePlus out = WindowManager.getCurrentImage();
            assertNotNull(out);
            assertNotSame(imp, out);
            assertEquals("cells-rl", out.getTitle());
            assertEquals(0.065, out.getCalibration().pixelWidth, 1e-12);
            assertEquals("µm", out.getCalibration().getUnit());
            String info = (String) out.getProperty("Info");
            assertTrue(info.contains("equilibria.method: rl"), info);
            assertTrue(info.contains("equilibria.device: cpu"), info);
            assertEquals(64, out.getWidth());
        } finally {
            Macro.setOptions(Thread.currentThread(), null);
            Interpreter.batchMode = false;
        }
    }

    @Test
    void theLearnedMethodRunsInsideImageJWithTheShippedModel() {
        ImagePlus imp = new ImagePlus("scene", new FloatProcessor(64, 64, TestSupport.scene(64, 64).data().clone()));
        ImagePlus out = DeblurCommand.deblur(imp, "deq", DeblurCommand.psf("gaussian:1.5"), null, 0, 0,
                io.equilibria.physics.Boundary.EXTENDED, false, ai.djl.Device.cpu());
        assertNotNull(out);
        String info = (String) out.getProperty("Info");
        assertTrue(info.contains("equilibria.method: deq"), info);
        assertTrue(info.contains("deq-deblur"), info);
    }

    @Test
    void generatePsfAndAboutFromMacroOptions() {
        Interpreter.batchMode = true;
        try {
            Macro.setOptions(Thread.currentThread(), "kind=airy sigma=2 na=1.2 wavelength=520 pixel_size=65 width=31");
            new GeneratePsfCommand().run("");
            ImagePlus psf = WindowManager.getCurrentImage();
            assertNotNull(psf);
            assertTrue(psf.getTitle().startsWith("psf-airy:1.2"), psf.getTitle());
            double sum = 0;
            for (float v : (float[]) psf.getProcessor().getPixels()) sum += v;
            assertEquals(1.0, sum, 1e-4);
            // the generated PSF is usable by title in the deblurring command
            ImagePlus out = DeblurCommand.deblur(new ImagePlus("s", new FloatProcessor(64, 64, TestSupport.scene(64, 64).data().clone())),
                    "rl", DeblurCommand.psf("image:" + psf.getTitle()), null, 0, 5, io.equilibria.physics.Boundary.EXTENDED, false,
                    ai.djl.Device.cpu());
            assertNotNull(out);
            String about = AboutCommand.text();
            assertTrue(about.contains("deq-deblur") && about.contains("device: cpu"), about);
        } finally {
            Macro.setOptions(Thread.currentThread(), null);
            Interpreter.batchMode = false;
        }
    }

    @Test
    void compressedSensingFromMacroOptions(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        java.nio.file.Path meas = dir.resolve("meas.tif");
        io.equilibria.simulate.Simulator.Measured m = io.equilibria.simulate.Simulator.cs(TestSupport.scene(64, 64),
                io.equilibria.physics.SensingMatrix.Kind.GAUSSIAN, 0.25, 32, 8, new io.equilibria.physics.Noise(0.01, 0, 3), 3,
                ai.djl.Device.cpu());
        io.equilibria.physics.MeasurementFile.write(meas, m.measurements(), m.spec(), io.equilibria.image.Calibration.none());
        Interpreter.batchMode = true;
        try {
            Macro.setOptions(Thread.currentThread(), "measurement=[" + meas + "] method=tv model=default iterations=50 device=cpu");
            new CompressedSensingCommand().run("");
            ImagePlus out = WindowManager.getCurrentImage();
            assertNotNull(out);
            assertEquals("meas-tv", out.getTitle());
            assertEquals(64, out.getWidth());
            assertTrue(((String) out.getProperty("Info")).contains("method: tv"));
        } finally {
            Macro.setOptions(Thread.currentThread(), null);
            Interpreter.batchMode = false;
        }
    }

    @Test
    void classicalDeconvolutionOffersOnlyTheClassicalMethods() {
        ImagePlus imp = new ImagePlus("c", new FloatProcessor(64, 64, TestSupport.scene(64, 64).data().clone()));
        Interpreter.batchMode = true;
        try {
            WindowManager.setTempCurrentImage(imp);
            Macro.setOptions(Thread.currentThread(), "method=wiener psf=gaussian:1.5 noise_sigma=0 iterations=0 boundary=zero device=cpu");
            new DeblurCommand().run("classical");
            ImagePlus out = WindowManager.getCurrentImage();
            assertEquals("c-wiener", out.getTitle());
            assertTrue(((String) out.getProperty("Info")).contains("equilibria.boundary: zero"));
        } finally {
            Macro.setOptions(Thread.currentThread(), null);
            Interpreter.batchMode = false;
        }
    }

    @Test
    void simulateThenDeblurFromMacroOptions() {
        ImagePlus gt = new ImagePlus("gt", new FloatProcessor(64, 64, TestSupport.scene(64, 64).data().clone()));
        Interpreter.batchMode = true;
        try {
            WindowManager.setTempCurrentImage(gt);
            Macro.setOptions(Thread.currentThread(), "psf=gaussian:1.5 noise_sigma=0.01 photons=0 seed=4 boundary=extended");
            new SimulateCommand().run("");
            ImagePlus blurred = WindowManager.getCurrentImage();
            assertEquals("gt-blurred", blurred.getTitle());
            assertTrue(((String) blurred.getProperty("Info")).contains("simulated"));
            double pBlur = io.equilibria.metrics.ImageMetrics.psnr(TestSupport.scene(64, 64),
                    new Plane(64, 64, (float[]) blurred.getProcessor().convertToFloatProcessor().getPixels()), 1);
            ImagePlus out = DeblurCommand.deblur(blurred, "rl", DeblurCommand.psf("gaussian:1.5"), null, 0, 30,
                    io.equilibria.physics.Boundary.EXTENDED, false, ai.djl.Device.cpu());
            double pOut = io.equilibria.metrics.ImageMetrics.psnr(TestSupport.scene(64, 64),
                    new Plane(64, 64, (float[]) out.getProcessor().getPixels()), 1);
            assertTrue(pOut > pBlur + 1, "RL " + pOut + " dB vs blurred " + pBlur + " dB");
        } finally {
            Macro.setOptions(Thread.currentThread(), null);
            Interpreter.batchMode = false;
        }
    }
}
