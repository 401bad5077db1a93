package io.equilibria.reconstruct;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import io.equilibria.TestSupport;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.Plane;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.LinearOperator;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.reconstruct.report.WarmStartSummary;
import io.equilibria.solvers.IterationListener;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The deblur path around the solver, with the solver faked: it returns its measurements as the estimate (with a
 * periodic boundary the domain is the field of view), so the output must be the input, whatever the tiling, and
 * every call is recorded: the tile it saw, the start it was given.
 */
class DeconvolutionPathTest {
    private static final Psf PSF = Psf.of(PsfGenerator.gaussian(1.5, 0), "gaussian:1.5");

    @BeforeAll
    static void engine() { TestSupport.manager(); }

    /** A reconstructor that returns y and says how many iterations it took (its call number), remembering each start. */
    static final class Echo implements Reconstructor {
        final List<float[]> starts = new ArrayList<>();
        final List<long[]> shapes = new ArrayList<>();

        @Override public String name() { return "echo"; }
        @Override public boolean warmStartable() { return true; }

        @Override public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener) { return reconstruct(a, y, listener, null); }

        @Override public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener, NDArray start) {
            starts.add(start == null ? null : start.toFloatArray());
            shapes.add(y.getShape().getShape());
            int calls = starts.size();
            listener.onIteration(1, 1, y, 0);
            return new Result(y.duplicate(), name(), calls, 1e-4 * calls, List.of(), 0.01, false,
                    Map.of("solverResidual", 1e-4 * calls, "converged", calls != 2));
        }
    }

    private static ImageData image(int w, int h, int planes) {
        SplittableRandom r = new SplittableRandom(5);
        List<Plane> list = new ArrayList<>();
        for (int p = 0; p < planes; p++) {
            float[] d = new float[w * h];
            for (int i = 0; i < d.length; i++) d[i] = (float) (0.1 + r.nextDouble());
            list.add(new Plane(w, h, d));
        }
        return new ImageData(list, Calibration.none(), 32);
    }

    private static Deconvolution.Options options() {
        return new Deconvolution.Options(Boundary.PERIODIC, "none", false, 0.01, null);
    }

    private static Reconstruction run(ImageData in, Deconvolution.Options o, Echo echo) {
        return Deconvolution.run(in, PSF, MethodConfig.of("rl"), o, Device.cpu(), Deconvolution.PlaneListener.NONE, sigma -> echo);
    }

    @Test
    void tilesCoverTheImageAndBlendBackToIt() {
        ImageData in = image(200, 150, 1);
        Echo echo = new Echo();
        Reconstruction r = run(in, options().withTileCore(64), echo);
        int tiles = r.report().deblur().tiles();
        assertTrue(tiles >= 6, "200x150 in cores of 64 px needs at least 4x3 tiles, got " + tiles);
        assertEquals(tiles, echo.starts.size(), "one solve per tile");
        for (long[] s : echo.shapes) assertTrue(s[s.length - 1] <= 64 + 2 * 64 && s[s.length - 1] < 200, "a tile is a crop, not the image");
        assertArrayEquals(in.plane(0).data(), r.image().plane(0).data(), 1e-5f, "overlapping tiles blend back to the input exactly");
        var plane = r.report().first();
        assertEquals(tiles, plane.tileIterations().size());
        assertEquals(tiles, plane.iterations(), "a tiled plane reports its tiles' largest iteration count");
        assertEquals(1e-4 * tiles, plane.parameters().solverResidual(), 1e-12, "and their largest residual");
        assertTrue(!plane.parameters().converged(), "not converged if any tile was not");
    }

    @Test
    void untiledImageIsOneSolve() {
        ImageData in = image(96, 80, 1);
        Echo echo = new Echo();
        Reconstruction r = run(in, options(), echo);
        assertEquals(1, echo.starts.size());
        assertNull(r.report().first().tileIterations());
        assertArrayEquals(in.plane(0).data(), r.image().plane(0).data(), 1e-5f);
    }

    @Test
    void warmStartsCarryEachSliceToTheNext() {
        ImageData in = image(48, 40, 3);
        Echo echo = new Echo();
        Reconstruction r = run(in, options(), echo);
        assertNull(echo.starts.get(0), "the first slice starts cold");
        for (int p = 1; p < 3; p++) {
            assertNotNull(echo.starts.get(p), "slice " + (p + 1) + " starts warm");
            assertArrayEquals(in.plane(p - 1).data(), echo.starts.get(p), 1e-5f, "from the previous slice's result");
        }
        WarmStartSummary w = r.report().deblur().warmStart();
        assertEquals(1, w.coldSolves());
        assertEquals(2, w.warmSolves());
        assertEquals(5, w.warmIterations(), "the warm solves' iterations (2 + 3)");
        assertNotNull(w.estimate(), "without verify the saving is an estimate, and says so");
        assertTrue(r.image().info().get("equilibria.warmStart").startsWith("2 warm-started solves"));
    }

    @Test
    void verifyPairsEveryWarmSolveWithAColdOne() {
        Echo echo = new Echo();
        Reconstruction r = run(image(48, 40, 3), options().withWarmStart(Deconvolution.WarmStart.VERIFY), echo);
        assertEquals(5, echo.starts.size(), "three slices, and a cold solve beside each of the two warm ones");
        WarmStartSummary w = r.report().deblur().warmStart();
        assertNotNull(w.iterationsSaved());
        assertEquals(0, w.maxRelativeDifferenceToCold(), 1e-6, "the echo's warm and cold results are the same");
    }

    @Test
    void warmStartOffStartsEverySliceCold() {
        Echo echo = new Echo();
        Reconstruction r = run(image(48, 40, 3), options().withWarmStart(Deconvolution.WarmStart.OFF), echo);
        for (float[] s : echo.starts) assertNull(s);
        assertNull(r.report().deblur().warmStart());
        assertEquals(3, r.report().planes().size());
        assertEquals(1 + 2 + 3, r.report().totalIterations());
    }

    /** Two slices of a smooth specimen, the second moved by (3, 1) px (periodic, as the echo's domain). */
    private static ImageData drifting() {
        int w = 64, h = 56;
        float[] a = new float[w * h], b = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                a[y * w + x] = blob(x, y, w, h);
                b[y * w + x] = blob(x - 3, y - 1, w, h);
            }
        }
        return new ImageData(List.of(new Plane(w, h, a), new Plane(w, h, b)), Calibration.none(), 32);
    }

    private static float blob(int x, int y, int w, int h) {
        double v = 0.1;
        double[][] c = {{20, 18, 4}, {40, 30, 6}, {30, 44, 3}, {50, 12, 5}};
        for (double[] b : c) {
            double dx = Math.floorMod(x - (int) b[0] + w / 2, w) - w / 2, dy = Math.floorMod(y - (int) b[1] + h / 2, h) - h / 2;
            v += Math.exp(-(dx * dx + dy * dy) / (2 * b[2] * b[2]));
        }
        return (float) v;
    }

    @Test
    void aWarmStartFollowsTheDriftBetweenSlices() {
        ImageData in = drifting();
        Echo followed = new Echo();
        Reconstruction r = run(in, options(), followed);
        float[] start = followed.starts.get(1), next = in.plane(1).data();
        int w = in.width(), h = in.height();
        double worst = 0;
        for (int y = 6; y < h - 6; y++) for (int x = 6; x < w - 6; x++) worst = Math.max(worst, Math.abs(start[y * w + x] - next[y * w + x]));
        assertTrue(worst < 0.02, "the previous fixed point moved by the drift lands on the next slice (worst interior error " + worst + ")");
        WarmStartSummary ws = r.report().deblur().warmStart();
        assertEquals(1, ws.driftCompensated());
        assertEquals(Math.hypot(3, 1), ws.maxDriftPx(), 0.05, "the drift measured between the slices");
        assertTrue(r.image().info().get("equilibria.warmStart").contains("1 moved by the measured drift"));

        Echo still = new Echo();
        run(in, options().withFollowDrift(false), still);
        assertArrayEquals(in.plane(0).data(), still.starts.get(1), 1e-5f, "--follow-drift off: the previous fixed point as it is");
    }
}
