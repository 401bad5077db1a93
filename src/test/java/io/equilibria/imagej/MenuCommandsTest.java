package io.equilibria.imagej;

import ij.IJ;
import ij.ImagePlus;
import ij.ImageStack;
import ij.Menus;
import ij.WindowManager;
import ij.macro.Interpreter;
import ij.measure.Calibration;
import ij.measure.ResultsTable;
import ij.plugin.PlugIn;
import ij.process.FloatProcessor;
import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.TestSupport;
import io.equilibria.certify.Certifier;
import io.equilibria.certify.load.LoadedClassifier;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.classify.EquilibriumNet;
import io.equilibria.compute.Compute;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.train.ClassifierTrainer;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.awt.EventQueue;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Every {@code Plugins > Equilibria} menu command run headless by its menu name with macro options, exactly as a recorded
 * macro does ({@code IJ.run(imp, "Deblur (DEQ)...", "psf=gaussian:1.5 ...")}). ImageJ installs no menus headless, so
 * the set-up initialises ImageJ's command table and registers our own {@code plugins.config} (read from the classpath)
 * in it the way {@code ij.Menus} stores plugins.config lines: command &rarr; the text after the line's last comma, e.g.
 * {@code io.equilibria.imagej.DeblurCommand("classical")}, whose {@code ("arg")} ImageJ's Executer passes to run(arg).
 * ij1-patcher patches ImageJ for headless dialogs through its Java agent (see the pom's {@code imagej-tests} execution).
 */
class MenuCommandsTest {
    static final List<String> MENU_ITEMS = List.of("Deblur (DEQ)...", "Classical Deconvolution...",
            "Compressed Sensing Reconstruction...", "Simulate Measurement...", "Generate PSF...", "Certify Classifier...", "About Equilibria",
            "Register Frames...");
    static final String DEBLUR_RL = "method=rl psf=gaussian:1.5 model=default noise_sigma=0 iterations=10 boundary=extended device=cpu";

    @TempDir
    static Path emptyPluginsDir;
    /** plugins.config's entries as ij.Menus reads them: command -> class name with its ("arg"). */
    static final Map<String, String> CONFIG = new LinkedHashMap<>();

    @BeforeAll
    static void registerPluginsConfig() throws Exception {
        // ImageJ must not pick up a built plugins/equilibria-ij_.jar of the working directory: an empty plugins folder
        System.setProperty("plugins.dir", emptyPluginsDir.toString());
        Interpreter.batchMode = true;
        if (Menus.getCommands() == null) {
            // headless, Menus.getCommands() does not initialise ImageJ; IJ.run would call IJ.init() itself (no ImageJ
            // instance, no commands), but only inside the run, too late to add ours. Do that same initialisation first.
            Method init = IJ.class.getDeclaredMethod("init");
            init.setAccessible(true);
            init.invoke(null);
        }
        @SuppressWarnings("unchecked") Hashtable<String, String> commands = Menus.getCommands();
        assertNotNull(commands, "ImageJ's command table");
        assertNotNull(commands.get("Gaussian Blur..."), "ImageJ's own commands are installed");
        try (InputStream in = MenuCommandsTest.class.getResourceAsStream("/plugins.config")) {
            assertNotNull(in, "plugins.config on the classpath");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.trim();
                if (line.isEmpty() || line.startsWith("#")) continue;
                // as ij.Menus.addPluginItem: the command is quoted, the class name follows the last comma
                int q1 = line.indexOf('"'), q2 = line.indexOf('"', q1 + 1);
                assertTrue(line.startsWith("Plugins>Equilibria,") && q1 > 0 && q2 > q1, "plugins.config line: " + line);
                CONFIG.put(line.substring(q1 + 1, q2), line.substring(line.lastIndexOf(',') + 1).trim());
            }
        }
        commands.putAll(CONFIG);
    }

    @AfterEach
    void closeImages() {
        int[] ids = WindowManager.getIDList();
        if (ids != null) for (int id : ids) {
            ImagePlus imp = WindowManager.getImage(id);
            if (imp != null) {
                imp.changes = false;
                imp.close();
            }
        }
        WindowManager.setTempCurrentImage(null);
    }

    /** Runs a menu command by name on {@code imp} (null: the current image) and returns the one new image it made. */
    static ImagePlus run(ImagePlus imp, String command, String options) {
        java.util.Set<Integer> before = ids();
        IJ.run(imp, command, options);
        java.util.Set<Integer> made = ids();
        made.removeAll(before);
        assertEquals(1, made.size(), command + " made no new image (" + options + ")");
        ImagePlus out = WindowManager.getImage(made.iterator().next());
        assertNotNull(out, command);
        assertNotSame(imp, out, command);
        return out;
    }

    static java.util.Set<Integer> ids() {
        java.util.Set<Integer> s = new java.util.HashSet<>();
        int[] ids = WindowManager.getIDList();
        if (ids != null) for (int id : ids) s.add(id);
        return s;
    }

    static ImagePlus image(String title, Plane p) {
        return new ImagePlus(title, new FloatProcessor(p.width(), p.height(), p.data().clone()));
    }

    static Plane plane(ImagePlus imp, int slice) {
        return new Plane(imp.getWidth(), imp.getHeight(),
                (float[]) imp.getStack().getProcessor(slice).convertToFloatProcessor().getPixels());
    }

    static String info(ImagePlus imp) {
        Object info = imp.getProperty("Info");
        assertNotNull(info, imp.getTitle() + " has no Info");
        return (String) info;
    }

    static void assertSensible(ImagePlus out, ImagePlus in) {
        float[] v = (float[]) out.getProcessor().convertToFloatProcessor().getPixels();
        double sum = 0, inSum = 0;
        for (float x : v) {
            assertTrue(Float.isFinite(x), "non-finite value in " + out.getTitle());
            sum += x;
        }
        for (float x : (float[]) in.getProcessor().convertToFloatProcessor().getPixels()) inSum += x;
        // deconvolution keeps the overall brightness (within the boundary handling)
        assertEquals(inSum / v.length, sum / v.length, 0.15 * Math.abs(inSum / v.length) + 1e-3, out.getTitle() + " mean");
    }

    @Test
    void pluginsConfigRegistersEveryMenuItemWithItsClassAndArgument() throws Exception {
        assertEquals(MENU_ITEMS.size(), CONFIG.size(), CONFIG.toString());
        assertTrue(CONFIG.keySet().containsAll(MENU_ITEMS), CONFIG.toString());
        assertEquals("io.equilibria.imagej.DeblurCommand(\"classical\")", Menus.getCommands().get("Classical Deconvolution..."));
        assertEquals("io.equilibria.imagej.DeblurCommand", Menus.getCommands().get("Deblur (DEQ)..."));
        for (String className : CONFIG.values()) {
            Class<?> c = Class.forName(className.replaceFirst("\\(\".*\"\\)$", ""));
            assertTrue(PlugIn.class.isAssignableFrom(c), className);
        }
    }

    @Test
    void deblurByMenuNameKeepsSizeAndCalibrationAndSaysHowItWasMade() {
        ImagePlus imp = image("cells", TestSupport.scene(64, 48));
        Calibration cal = imp.getCalibration();
        cal.pixelWidth = cal.pixelHeight = 0.065;
        cal.setUnit("um");
        ImagePlus out = run(imp, "Deblur (DEQ)...", DEBLUR_RL);
        assertEquals("cells-rl", out.getTitle());
        assertEquals(64, out.getWidth());
        assertEquals(48, out.getHeight());
        assertEquals(1, out.getStackSize());
        assertEquals(0.065, out.getCalibration().pixelWidth, 1e-12);
        assertEquals(0.065, out.getCalibration().pixelHeight, 1e-12);
        assertEquals("µm", out.getCalibration().getUnit());
        String info = info(out);
        assertTrue(info.contains("equilibria.method: rl"), info);
        assertTrue(info.contains("equilibria.iterations: 10"), info);
        assertTrue(info.contains("equilibria.device: cpu"), info);
        assertSensible(out, imp);
    }

    @Test
    void simulateThenDeblurByMenuNameImprovesThePsnr() {
        Plane truth = TestSupport.scene(64, 64);
        ImagePlus gt = image("gt", truth);
        ImagePlus blurred = run(gt, "Simulate Measurement...", "psf=gaussian:1.5 noise_sigma=0.01 photons=0 seed=4 boundary=extended");
        assertEquals("gt-blurred", blurred.getTitle());
        assertTrue(info(blurred).contains("simulated"), info(blurred));
        ImagePlus out = run(blurred, "Deblur (DEQ)...", "method=rl psf=gaussian:1.5 noise_sigma=0 iterations=30 boundary=extended device=cpu");
        double pBlur = ImageMetrics.psnr(truth, plane(blurred, 1), 1), pOut = ImageMetrics.psnr(truth, plane(out, 1), 1);
        assertTrue(pOut > pBlur + 1, "RL " + pOut + " dB vs blurred " + pBlur + " dB");
    }

    @Test
    void deqByMenuNameWithTheShippedModelByNameAndAsAFile() {
        Plane truth = TestSupport.scene(64, 64);
        ImagePlus blurred = run(image("gt", truth), "Simulate Measurement...", "psf=gaussian:1.5 noise_sigma=0.01 photons=0 seed=2 boundary=extended");
        ImagePlus byName = run(blurred, "Deblur (DEQ)...", "method=deq psf=gaussian:1.5 model=deq-deblur noise_sigma=0 iterations=0 boundary=extended device=cpu");
        String info = info(byName);
        assertTrue(info.contains("equilibria.method: deq"), info);
        assertTrue(info.contains("deq-deblur"), info);
        assertTrue(info.contains("equilibria.device: cpu"), info);
        Path card = Path.of("models", "deq-deblur.json").toAbsolutePath();
        assertTrue(Files.isRegularFile(card), card.toString());
        ImagePlus byFile = run(blurred, "Deblur (DEQ)...", "method=deq psf=gaussian:1.5 model=file... model_file=[" + card
                + "] noise_sigma=0 iterations=0 boundary=extended device=cpu");
        assertArrayEquals((float[]) byName.getProcessor().getPixels(), (float[]) byFile.getProcessor().getPixels(), 1e-5f);
        double pBlur = ImageMetrics.psnr(truth, plane(blurred, 1), 1), pOut = ImageMetrics.psnr(truth, plane(byName, 1), 1);
        assertTrue(pOut > pBlur, "DEQ " + pOut + " dB vs blurred " + pBlur + " dB");
    }

    @Test
    void thePriorStrengthIsAMacroKey() {
        Plane truth = TestSupport.scene(64, 64);
        ImagePlus blurred = run(image("gt", truth), "Simulate Measurement...", "psf=gaussian:1.5 noise_sigma=0.02 photons=0 seed=6 boundary=extended");
        ImagePlus fixed = run(blurred, "Deblur (DEQ)...", "method=deq psf=gaussian:1.5 model=default prior_strength=2 noise_sigma=0 iterations=0 boundary=extended device=cpu");
        assertTrue(info(fixed).contains("\"strength\" : 2.0"), info(fixed));
        ImagePlus auto = run(blurred, "Deblur (DEQ)...", "method=deq psf=gaussian:1.5 model=default noise_sigma=0 iterations=0 boundary=extended device=cpu");
        assertTrue(info(auto).contains("\"strengthRule\" : \"SURE"), info(auto));
    }

    @Test
    void aModelFileThatDoesNotExistMakesNoImage(@TempDir Path dir) {
        ImagePlus imp = image("x", TestSupport.scene(32, 32));
        try {
            IJ.run(imp, "Deblur (DEQ)...", "method=deq psf=gaussian:1.5 model=file... model_file=[" + dir.resolve("nope.json")
                    + "] iterations=0 device=cpu");
        } catch (RuntimeException macroAborted) {
            // IJ.error under a macro may abort it: either way no result
        }
        assertNull(WindowManager.getImage("x-deq"));
        assertEquals(0, Interpreter.getBatchModeImageCount());
    }

    @Test
    void classicalDeconvolutionByMenuNamePassesTheClassicalArgument() {
        ImagePlus imp = image("c", TestSupport.scene(64, 64));
        ImagePlus out = run(imp, "Classical Deconvolution...", "method=wiener psf=gaussian:1.5 noise_sigma=0 iterations=0 boundary=zero device=cpu");
        assertEquals("c-wiener", out.getTitle());
        String info = info(out);
        assertTrue(info.contains("equilibria.method: wiener"), info);
        assertTrue(info.contains("equilibria.boundary: zero"), info);
        assertEquals(64, out.getWidth());
        assertSensible(out, imp);
    }

    @Test
    void compressedSensingByMenuName(@TempDir Path dir) {
        Path meas = dir.resolve("meas.tif");
        io.equilibria.simulate.Simulator.Measured m = io.equilibria.simulate.Simulator.cs(TestSupport.scene(64, 64),
                io.equilibria.physics.SensingMatrix.Kind.GAUSSIAN, 0.25, 32, 8, new io.equilibria.physics.Noise(0.01, 0, 3), 3,
                ai.djl.Device.cpu());
        io.equilibria.physics.MeasurementFile.write(meas, m.measurements(), m.spec(), io.equilibria.image.Calibration.none());
        ImagePlus out = run(null, "Compressed Sensing Reconstruction...", "measurement=[" + meas + "] method=tv model=default iterations=50 device=cpu");
        assertEquals("meas-tv", out.getTitle());
        assertEquals(64, out.getWidth());
        assertEquals(64, out.getHeight());
        assertTrue(info(out).contains("method: tv"), info(out));
        double p = ImageMetrics.psnr(TestSupport.scene(64, 64), plane(out, 1), 1);
        assertTrue(p > 15, "TV from 25% measurements: " + p + " dB");
    }

    @Test
    void generatePsfByMenuNameThenDeblurWithItAsAnOpenImageAndAsAFile(@TempDir Path dir) {
        ImagePlus psf = run(null, "Generate PSF...", "kind=airy sigma=2 na=1.2 wavelength=520 pixel_size=65 width=31");
        assertTrue(psf.getTitle().startsWith("psf-airy:1.2"), psf.getTitle());
        assertEquals(31, psf.getWidth());
        double sum = 0;
        for (float v : (float[]) psf.getProcessor().getPixels()) sum += v;
        assertEquals(1.0, sum, 1e-4);
        ImagePlus imp = image("s", TestSupport.scene(64, 64));
        ImagePlus fromImage = run(imp, "Deblur (DEQ)...", "method=rl psf=[image:" + psf.getTitle() + "] iterations=5 device=cpu");
        assertEquals("s-rl", fromImage.getTitle());
        Path file = dir.resolve("psf.tif");
        assertTrue(IJ.saveAsTiff(psf, file.toString()));
        ImagePlus fromFile = run(imp, "Deblur (DEQ)...", "method=rl psf=[" + file + "] iterations=5 device=cpu");
        assertArrayEquals((float[]) fromImage.getProcessor().getPixels(), (float[]) fromFile.getProcessor().getPixels(), 1e-5f);
    }

    @Test
    void aboutByMenuNameLogsVersionDeviceAndModels() {
        PrintStream old = System.out;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setOut(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            IJ.run("About Equilibria");
        } finally {
            System.setOut(old);
        }
        String about = log.toString(StandardCharsets.UTF_8);
        assertTrue(about.contains("Equilibria"), about);
        assertTrue(about.contains("device: cpu"), about);
        assertTrue(about.contains("deq-deblur"), about);
        assertTrue(about.contains("ImageJ 1.54p"), about);
    }

    /**
     * A z-stack with a 3D PSF is deconvolved as one volume through the menu command (the recordable 3D_volume
     * checkbox): one solve for the whole stack, the calibration kept, and light moved back between planes (a bead in
     * the middle plane, blurred in 3D, gets brighter there and dimmer in the planes above and below).
     */
    @Test
    void aZStackIsDeconvolvedAsAVolume() {
        int n = 48, d = 12;
        float[] gt = new float[n * n * d];
        gt[(d / 2 * n + n / 2) * n + n / 2] = 1;
        gt[(3 * n + 6) * n + 17] = 0.6f;
        ImageStack truth = new ImageStack(n, n);
        for (int z = 0; z < d; z++) {
            float[] p = new float[n * n];
            System.arraycopy(gt, z * n * n, p, 0, n * n);
            for (int k = 0; k < p.length; k++) p[k] += 0.01f;
            truth.addSlice(new FloatProcessor(n, n, p));
        }
        ImagePlus scene = new ImagePlus("scene", truth);
        ij.measure.Calibration cal = new ij.measure.Calibration();
        cal.pixelWidth = cal.pixelHeight = 0.1;
        cal.pixelDepth = 0.3;
        cal.setUnit("micron");
        scene.setCalibration(cal);
        String psf = "bornwolf:1.2,520,100,1.518,300,9";
        ImagePlus blurred = run(scene, "Simulate Measurement...", "psf=" + psf + " noise_sigma=0 photons=0 seed=1 boundary=zero");
        assertEquals(d, blurred.getStackSize());
        ImagePlus out = run(blurred, "Classical Deconvolution...", "method=rl psf=" + psf + " noise_sigma=0 iterations=30 "
                + "boundary=extended 3d_volume device=cpu");
        assertEquals(d, out.getStackSize());
        assertEquals(0.3, out.getCalibration().pixelDepth, 1e-9);
        assertEquals("micron", out.getCalibration().getUnit());
        String info = info(out);
        assertTrue(info.contains("equilibria.volume: 48x48x12"), info);
        String report = info.substring(info.indexOf("report: "));
        assertEquals(1, report.split("\"relativeChange\"").length - 1, "one solve for the whole volume: " + report);
        int centre = n / 2 * n + n / 2;
        float before = plane(blurred, d / 2 + 1).data()[centre], after = plane(out, d / 2 + 1).data()[centre];
        assertTrue(after > 2 * before, "the bead's plane gets its light back: " + before + " -> " + after);
        assertTrue(axialShare(out, centre, d) > 1.5 * axialShare(blurred, centre, d), "the bead's column concentrates on its plane: "
                + axialShare(blurred, centre, d) + " -> " + axialShare(out, centre, d));
    }

    @Test
    void aTwoChannelStackIsDeconvolvedChannelByChannelWithOnePsfEach() {
        // both channels hold the same data: one PSF for both gives equal channels, one PSF each gives different ones
        int n = 48, d = 6;
        ImageStack s = new ImageStack(n, n);
        java.util.Random r = new java.util.Random(2);
        for (int z = 0; z < d; z++) {
            float[] p = new float[n * n];
            for (int k = 0; k < p.length; k++) p[k] = (float) (20 + 10 * Math.sin(k * 0.37 + z) + r.nextGaussian());
            s.addSlice(new FloatProcessor(n, n, p));
            s.addSlice(new FloatProcessor(n, n, p.clone()));
        }
        ImagePlus two = new ImagePlus("two", s);
        two.setDimensions(2, d, 1);
        two.setOpenAsHyperStack(true);
        two = new ij.CompositeImage(two, ij.IJ.COMPOSITE);
        ij.measure.Calibration cal = new ij.measure.Calibration();
        cal.pixelWidth = cal.pixelHeight = 0.1;
        cal.pixelDepth = 0.3;
        cal.setUnit("micron");
        two.setCalibration(cal);
        String green = "bornwolf:1.4,510,100,1.518,300,5", red = "bornwolf:1.3,600,100,1.518,300,5";
        ImagePlus each = run(two, "Classical Deconvolution...", "method=rl psf=[" + green + ";" + red + "] noise_sigma=0 iterations=5 "
                + "boundary=extended 3d_volume device=cpu");
        assertArrayEquals(new int[] {n, n, 2, d, 1}, each.getDimensions(), "a C x Z hyperstack");
        assertTrue(each.isComposite());
        assertTrue(info(each).contains("channel 2: " + red), info(each));
        ImagePlus shared = run(two, "Classical Deconvolution...", "method=rl psf=" + green + " noise_sigma=0 iterations=5 "
                + "boundary=extended 3d_volume device=cpu");
        float[] a = (float[]) shared.getStack().getPixels(shared.getStackIndex(1, 3, 1)), b = (float[]) shared.getStack().getPixels(shared.getStackIndex(2, 3, 1));
        assertArrayEquals(a, b, "one PSF for both channels of equal data");
        float[] e1 = (float[]) each.getStack().getPixels(each.getStackIndex(1, 3, 1)), e2 = (float[]) each.getStack().getPixels(each.getStackIndex(2, 3, 1));
        assertArrayEquals(a, e1, "channel 1 with its own PSF, the same PSF as the shared run");
        assertFalse(java.util.Arrays.equals(e1, e2), "channel 2 with its own PSF");
    }

    /** The share of a pixel column's light above its minimum that lies in the middle plane. */
    static double axialShare(ImagePlus imp, int pixel, int depth) {
        double[] v = new double[depth];
        double lo = Double.MAX_VALUE, sum = 0;
        for (int z = 0; z < depth; z++) {
            v[z] = plane(imp, z + 1).data()[pixel];
            lo = Math.min(lo, v[z]);
        }
        for (double x : v) sum += x - lo;
        return (v[depth / 2] - lo) / sum;
    }

    @Test
    void aStackIsDeblurredSliceBySlice() {
        // three different slices with the same intensity distribution (the scene and its mirror images): the
        // normalisation is fitted to the whole stack, so each slice alone is normalised (almost) the same way
        Plane a = TestSupport.scene(48, 48);
        float[] mirrorX = new float[a.data().length], mirrorY = new float[a.data().length];
        for (int y = 0; y < 48; y++) for (int x = 0; x < 48; x++) {
            mirrorX[y * 48 + x] = a.data()[y * 48 + (47 - x)];
            mirrorY[y * 48 + x] = a.data()[(47 - y) * 48 + x];
        }
        Plane[] slices = {a, new Plane(48, 48, mirrorX), new Plane(48, 48, mirrorY)};
        ImageStack stack = new ImageStack(48, 48);
        for (Plane p : slices) stack.addSlice(new FloatProcessor(48, 48, p.data().clone()));
        ImagePlus imp = new ImagePlus("stack", stack);
        ImagePlus out = run(imp, "Deblur (DEQ)...", DEBLUR_RL);
        assertEquals(3, out.getStackSize());
        assertEquals(48, out.getWidth());
        String info = info(out);
        assertTrue(info.contains("equilibria.method: rl"), info);
        String report = info.substring(info.indexOf("report: "));
        assertEquals(3, report.split("\"relativeChange\"").length - 1, "one reconstruction per slice: " + report);
        // each slice of the result is that slice deblurred alone (not mixed with the other slices)
        for (int i = 0; i < 3; i++) {
            ImagePlus alone = run(image("slice" + i, slices[i]), "Deblur (DEQ)...", DEBLUR_RL);
            assertArrayEquals((float[]) alone.getProcessor().getPixels(), plane(out, i + 1).data(), 1e-3f, "slice " + (i + 1));
        }
    }

    @Test
    void workIsMovedOffTheEventDispatchThread() throws Exception {
        // called off the EDT: the work runs right here
        AtomicReference<Thread> ranOn = new AtomicReference<>();
        assertNull(CommandSupport.runOffEdt("t", () -> ranOn.set(Thread.currentThread())));
        assertSame(Thread.currentThread(), ranOn.get());
        // called on the EDT: a worker thread does it, with the plugin's class loader as context class loader
        AtomicReference<Thread> worker = new AtomicReference<>();
        AtomicReference<ClassLoader> loader = new AtomicReference<>();
        AtomicReference<Boolean> workOnEdt = new AtomicReference<>();
        EventQueue.invokeAndWait(() -> worker.set(CommandSupport.runOffEdt("t", () -> {
            ranOn.set(Thread.currentThread());
            workOnEdt.set(EventQueue.isDispatchThread());
            loader.set(Thread.currentThread().getContextClassLoader());
        })));
        assertNotNull(worker.get());
        worker.get().join(10_000);
        assertSame(worker.get(), ranOn.get());
        assertFalse(workOnEdt.get());
        assertSame(CommandSupport.class.getClassLoader(), loader.get());
        assertTrue(worker.get().getName().startsWith(CommandSupport.WORKER_PREFIX));
    }

    @Test
    void aMenuCommandEnteredOnTheEventDispatchThreadDeblursOnAWorker() throws Exception {
        ImagePlus imp = image("edt", TestSupport.scene(128, 128));
        int before = WindowManager.getImageCount();
        CommandSupport.lastWorker = null;
        AtomicReference<Thread> edt = new AtomicReference<>();
        EventQueue.invokeAndWait(() -> {
            edt.set(Thread.currentThread());
            IJ.run(imp, "Deblur (DEQ)...", DEBLUR_RL); // returns once the worker is started
        });
        Thread worker = CommandSupport.lastWorker;
        assertNotNull(worker, "no worker thread was started for the reconstruction");
        assertNotSame(edt.get(), worker);
        assertEquals(CommandSupport.WORKER_PREFIX + DeblurCommand.TITLE, worker.getName());
        worker.join(120_000);
        assertFalse(worker.isAlive());
        assertEquals(before + 1, WindowManager.getImageCount());
        ImagePlus out = WindowManager.getImage("edt-rl");
        assertNotNull(out);
        assertTrue(info(out).contains("equilibria.method: rl"), info(out));
    }

    // ---- Certify Classifier... (a tiny LBEN trained here for a few seconds on the 200 sample MNIST digits; it gets the
    // sample 7 right, but the tests compare with the core API rather than depend on that)

    @TempDir
    static Path classifierDir;
    private static Path tinyClassifier;
    static final Path DIGIT = Path.of("sample-images", "mnist_test0_digit7.png");

    static synchronized Path tinyClassifier() {
        if (tinyClassifier != null) return tinyClassifier;
        Path data = Path.of("sample-images", "mnist-test-200");
        IdxDataset set = IdxDataset.read(data.resolve("t10k-images-idx3-ubyte.gz"), data.resolve("t10k-labels-idx1-ubyte.gz"), 1000);
        EquilibriumNet.Config net = new EquilibriumNet.Config(EquilibriumNet.Kind.LBEN, 1, 28, 28, 16, 10, 0.2, 1.0, 1e-3,
                EquilibriumNet.Method.PR, 1.0, 1e-4, 300, 3);
        ClassifierTrainer.Config config = new ClassifierTrainer.Config(net, new ClassifierTrainer.Loop(10, 32, 3e-3, 0.0, 3),
                new ClassifierTrainer.Margin(0.5, 4.0));
        try (NDManager m = Compute.manager(Device.cpu())) {
            ClassifierTrainer.Result r = ClassifierTrainer.train(m, config, set, set, new ClassifierTrainer.Listener() {
                @Override public void step(int epoch, int step, int steps, double loss, int iterations) {}
                @Override public void epoch(Map<String, Object> summary) {}
            });
            ModelStore.save(classifierDir, ModelCard.of("tiny-lben", "classifier", "test LBEN, 16 hidden units",
                    new ModelCard.Architecture(EquilibriumNet.class.getName(), net.toMap()), null, null), r.net());
        }
        tinyClassifier = classifierDir.resolve("tiny-lben.json");
        assertTrue(Files.isRegularFile(tinyClassifier));
        return tinyClassifier;
    }

    static ImagePlus digit() {
        ImagePlus imp = IJ.openImage(DIGIT.toString());
        assertNotNull(imp, DIGIT.toString());
        assertEquals(28, imp.getWidth());
        assertEquals(8, imp.getBitDepth());
        return imp;
    }

    /** Runs Certify Classifier... on {@code imp} and returns what it logged (IJ.log goes to stdout headless). */
    static String certify(ImagePlus imp, String options) {
        PrintStream old = System.out;
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        System.setOut(new PrintStream(log, true, StandardCharsets.UTF_8));
        try {
            IJ.run(imp, "Certify Classifier...", options);
        } finally {
            System.setOut(old);
        }
        String text = log.toString(StandardCharsets.UTF_8);
        old.print(text); // also into the test's output file, with the table's last row
        ResultsTable rt = CertifyCommand.table();
        if (rt.size() > 0) old.println(rt.getColumnHeadings() + "\n" + rt.getRowAsString(rt.size() - 1));
        return text;
    }

    @Test
    void certifyByMenuNameWithTheLipschitzCertificateAddsARowAndLogsIt() {
        Path card = tinyClassifier();
        ResultsTable rt = CertifyCommand.table();
        int before = rt.size();
        String log = certify(digit(), "model=file... model_file=[" + card + "] method=lipschitz");
        rt = CertifyCommand.table();
        assertEquals(before + 1, rt.size(), "one new row in " + CertifyCommand.TABLE);
        int r = rt.size() - 1;
        assertEquals("mnist_test0_digit7.png", rt.getStringValue("Image", r));
        assertEquals("tiny-lben", rt.getStringValue("Model", r));
        assertEquals("lipschitz", rt.getStringValue("Method", r));
        String cls = rt.getStringValue("Class", r);
        assertTrue(cls.matches("[0-9]"), "class " + cls);
        double radius = rt.getValue("Radius", r);
        assertTrue(radius > 0 && Double.isFinite(radius), "radius " + radius);
        assertTrue(rt.getValue("lipschitzBound", r) > 0);
        if (rt.columnExists("pA")) assertTrue(Double.isNaN(rt.getValue("pA", r)), "no pA for lipschitz: " + rt.getRowAsString(r));
        // the same as the core API gives for the same image
        try (LoadedClassifier m = LoadedClassifier.load(card.toString(), null, Device.cpu())) {
            float[] x = io.equilibria.certify.data.LabelledImages.pixels(DIGIT, m.classifier().inputShape());
            Certifier.Outcome o = m.certifier().certify(x, 0, Certifier.Settings.defaults(Certifier.Method.LIPSCHITZ));
            assertEquals(Integer.toString(o.label()), cls);
            assertEquals(o.radius(), radius, 1e-9);
        }
        assertTrue(log.contains("Certify Classifier: mnist_test0_digit7.png: class " + cls + ", certified L2 radius "), log);
        assertTrue(log.contains("method lipschitz"), log);
        assertTrue(log.contains("model tiny-lben"), log);
    }

    @Test
    void certifyByMenuNameWithRandomizedSmoothingGivesAClassAndARadiusOrAbstains() {
        Path card = tinyClassifier();
        int before = CertifyCommand.table().size();
        String log = certify(digit(), "model=file... model_file=[" + card + "] method=rs sigma=0.25 n=200 n0=20 alpha=0.001 seed=5 device=cpu");
        ResultsTable rt = CertifyCommand.table();
        assertEquals(before + 1, rt.size());
        int r = rt.size() - 1;
        assertEquals("rs", rt.getStringValue("Method", r));
        assertEquals(200, rt.getValue("n", r));
        assertEquals(20, rt.getValue("n0", r));
        assertEquals(0.25, rt.getValue("sigma", r), 1e-12);
        assertEquals(0.001, rt.getValue("alpha", r), 1e-12);
        double pA = rt.getValue("pA", r);
        assertTrue(pA >= 0 && pA <= 1, "pA " + pA);
        String cls = rt.getStringValue("Class", r);
        if (cls.equals("abstain")) {
            assertTrue(log.contains(": abstain"), log);
        } else {
            assertTrue(cls.matches("[0-9]"), "class " + cls);
            double radius = rt.getValue("Radius", r);
            assertTrue(Double.isFinite(radius) && radius > 0, "radius " + radius);
            assertTrue(log.contains("class " + cls + ", certified L2 radius"), log);
        }
        assertTrue(log.contains("(method rs, sigma 0.25, n 200, alpha 0.001; model tiny-lben"), log);
    }

    @Test
    void certifyAnImageOfTheWrongSizeAddsNoRowAndSaysWhy() {
        Path card = tinyClassifier();
        int before = CertifyCommand.table().size();
        ImagePlus imp = new ImagePlus("big", new ij.process.ByteProcessor(32, 32));
        try {
            IJ.run(imp, "Certify Classifier...", "model=file... model_file=[" + card + "] method=lipschitz");
        } catch (RuntimeException macroAborted) {
            // IJ.error may abort the (pseudo-)macro: either way no row
        }
        assertEquals(before, CertifyCommand.table().size());
        String error = IJ.getErrorMessage();
        assertNotNull(error);
        assertTrue(error.contains("is 32x32 but the model takes 28x28"), error);
        // in a macro the error aborts it: what follows the run(...) does not run
        imp.show();
        String result = IJ.runMacro("run(\"Certify Classifier...\", \"model=file... model_file=[" + card
                + "] method=lipschitz\");\nprint(\"after certify\");\nreturn \"finished\";");
        assertNotEquals("finished", result, "the macro went on after the error");
        assertEquals(before, CertifyCommand.table().size());
    }

    @Test
    void aTorchScriptClassifierTakesItsShapeFromTheDialogAndAMethodItCannotUseIsRefused(@TempDir Path dir) throws Exception {
        Path pt = dir.resolve("linear.pt");
        java.util.Random random = new java.util.Random(4);
        float[][] w = new float[10][28 * 28];
        for (float[] row : w) for (int i = 0; i < row.length; i++) row[i] = (float) (random.nextGaussian() * 0.05);
        io.equilibria.certify.TorchScriptFixture.writeLinear(pt, w, new float[10]);
        int before = CertifyCommand.table().size();
        try {
            IJ.run(digit(), "Certify Classifier...", "model=file... model_file=[" + pt + "] method=lipschitz classes=10 input_size=1,28,28 device=cpu");
        } catch (RuntimeException macroAborted) {
            // IJ.error may abort the (pseudo-)macro: either way no row
        }
        assertEquals(before, CertifyCommand.table().size(), "lipschitz on a TorchScript model adds no row");
        assertTrue(IJ.getErrorMessage().contains("the Lipschitz certificate needs an LBEN or MonDEQ model"), IJ.getErrorMessage());
        String log = certify(digit(), "model=file... model_file=[" + pt + "] method=rs n=100 n0=10 classes=10 input_size=1,28,28 device=cpu");
        ResultsTable rt = CertifyCommand.table();
        assertEquals(before + 1, rt.size());
        assertEquals("linear.pt", rt.getStringValue("Model", rt.size() - 1));
        assertEquals("rs", rt.getStringValue("Method", rt.size() - 1));
        assertTrue(log.contains("model TorchScript linear.pt (input 1x28x28, 10 classes"), log);
    }

    @Test
    void escCancelsACertificationAndAddsNoRow() throws Exception {
        Path card = tinyClassifier();
        int before = CertifyCommand.table().size();
        ImagePlus imp = digit();
        // a million samples would take minutes: keep pressing Esc until the command returns
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread esc = new Thread(() -> {
            while (running.get()) {
                IJ.setKeyDown(java.awt.event.KeyEvent.VK_ESCAPE);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        long t0 = System.nanoTime();
        esc.start();
        try {
            IJ.run(imp, "Certify Classifier...", "model=file... model_file=[" + card + "] method=rs n=1000000 n0=100 batch=500 device=cpu");
        } finally {
            running.set(false);
            esc.join();
            IJ.resetEscape();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.println("Esc cancelled the certification after " + seconds + " s");
        assertTrue(seconds < 60, "Esc did not stop the sampling");
        assertEquals(before, CertifyCommand.table().size(), "a cancelled certification adds no row");
    }

    @Test
    void aRecordedCertifyMacroReplaysToTheSameResult() {
        Path card = tinyClassifier();
        // what the recorder writes for this dialog: every key, numbers as the dialog formats them, empty strings as []
        String recorded = "model=file... model_file=[" + card + "] method=srs sigma=0.250 n=200 n0=20 alpha=0.001000 batch=1000"
                + " seed=0 srs_steps=2 srs_recheck=1000 classes=10 input_size=1,28,28 mean=[] std=[] device=auto";
        int before = CertifyCommand.table().size();
        certify(digit(), recorded);
        certify(digit(), recorded);
        ResultsTable rt = CertifyCommand.table();
        assertEquals(before + 2, rt.size());
        int a = rt.size() - 2, b = rt.size() - 1;
        for (int r : new int[] {a, b}) {
            assertEquals("srs", rt.getStringValue("Method", r));
            assertEquals(200, rt.getValue("srs_recheck", r), "srs_recheck 1000 is limited to n"); 
        }
        assertEquals(rt.getStringValue("Class", a), rt.getStringValue("Class", b));
        assertEquals(rt.getStringValue("Radius", a), rt.getStringValue("Radius", b));
        assertEquals(rt.getValue("pA", a), rt.getValue("pA", b));
        assertTrue(rt.getValue("N1", a) + rt.getValue("N2", a) > 0, "SRS details N1/N2 in the table");
    }

    /** Register Frames... by its menu name with macro keys: a drifted copy comes back onto the first frame. */
    @Test
    void registerFramesByMenuNameAlignsADriftedFrame() {
        Plane scene = TestSupport.scene(96, 96);
        io.equilibria.image.registration.Transform2d drift = io.equilibria.image.registration.Transform2d.translation(3.4, -2.2);
        Plane moved = io.equilibria.image.registration.FrameRegistration.align(scene, drift.inverse());
        ImageStack stack = new ImageStack(96, 96);
        stack.addSlice(new FloatProcessor(96, 96, scene.data().clone()));
        stack.addSlice(new FloatProcessor(96, 96, moved.data().clone()));
        ImagePlus out = run(new ImagePlus("frames", stack), "Register Frames...", "motion=translation reference=1 min_confidence=0.2");
        assertEquals(2, out.getStackSize());
        String info = info(out);
        assertTrue(info.contains("frame 2: shift 3.4"), info);
        float[] a = plane(out, 1).data(), b = plane(out, 2).data();
        double diff = 0, level = 0;
        for (int y = 10; y < 86; y++) for (int x = 10; x < 86; x++) {
            diff += Math.abs(a[y * 96 + x] - b[y * 96 + x]);
            level += Math.abs(a[y * 96 + x]);
        }
        assertTrue(diff < 0.05 * level, "aligned frames differ by " + diff / level + " of the signal");
    }

    /** Deconvolve with multi-frame and register_frames (a macro key): two views of a drifted scene, the drift in the Info. */
    @Test
    void multiFrameDeconvolutionRegistersTheFramesWhenAsked(@TempDir Path dir) {
        Path psf = dir.resolve("psf2.tif"); // one PSF slice per view
        io.equilibria.image.ImageFiles.writeFloatTiff(new io.equilibria.image.ImageData(List.of(io.equilibria.physics.PsfGenerator.gaussian(1.2, 9),
                io.equilibria.physics.PsfGenerator.gaussian(1.2, 9)), io.equilibria.image.Calibration.none(), 32), psf);
        Plane scene = TestSupport.scene(96, 96);
        Plane moved = io.equilibria.image.registration.FrameRegistration.align(scene,
                io.equilibria.image.registration.Transform2d.rotation(1.5, 47.5, 47.5, 2.6, -1.8).inverse());
        ImageStack stack = new ImageStack(96, 96);
        stack.addSlice(new FloatProcessor(96, 96, scene.data().clone()));
        stack.addSlice(new FloatProcessor(96, 96, moved.data().clone()));
        ImagePlus out = run(new ImagePlus("views", stack), "Classical Deconvolution...",
                "method=rl psf=[" + psf + "] iterations=5 multi-frame register_frames");
        assertEquals(1, out.getStackSize(), "one scene from two views");
        String info = info(out);
        assertTrue(info.contains("equilibria.registration: 2 frames registered (euclidean, to frame 1)"), info);
    }
}
