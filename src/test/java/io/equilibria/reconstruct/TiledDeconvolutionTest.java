package io.equilibria.reconstruct;

import ai.djl.Device;
import io.equilibria.TestSupport;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.Plane;
import io.equilibria.image.Volume;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.methods.TilePart;
import io.equilibria.reconstruct.methods.TiledDeconvolution;
import io.equilibria.reconstruct.report.Reconstruction;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A deconvolution cut into parts (the tiles a cluster spreads over its workers), each part solved on its own, sent
 * through Java serialization as it would travel between machines, and assembled in another order, gives exactly the
 * sequential run's pixels and report: plane stacks with warm starts, multi-frame scenes and hyperstacks of volumes.
 */
class TiledDeconvolutionTest {
    @BeforeAll
    static void engine() { TestSupport.manager(); }

    private static ImageData blobs(int w, int h, int planes, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Plane> list = new ArrayList<>();
        for (int p = 0; p < planes; p++) {
            float[] d = new float[w * h];
            for (int k = 0; k < 12; k++) {
                double cx = r.nextDouble(w), cy = r.nextDouble(h), s = 2 + r.nextDouble(5), a = 100 + r.nextDouble(900);
                for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) {
                    double q = ((x - cx) * (x - cx) + (y - cy) * (y - cy)) / (2 * s * s);
                    if (q < 20) d[y * w + x] += (float) (a * Math.exp(-q));
                }
            }
            for (int i = 0; i < d.length; i++) d[i] += (float) (50 + 5 * r.nextGaussian());
            list.add(new Plane(w, h, d));
        }
        return new ImageData(list, Calibration.none(), 32);
    }

    /** Every part solved, serialised and read back, then assembled from the parts in reverse order. */
    private static Reconstruction inParts(TiledDeconvolution tiled) throws Exception {
        List<TilePart> parts = new ArrayList<>();
        for (int k = 0; k < tiled.parts(); k++) parts.add(roundTrip(tiled.solve(k, Deconvolution.PlaneListener.NONE)));
        Collections.reverse(parts);
        return tiled.assemble(parts);
    }

    private static TilePart roundTrip(TilePart p) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(p);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (TilePart) in.readObject();
        }
    }

    private static void assertSame(Reconstruction expected, Reconstruction actual) {
        assertEquals(expected.image().size(), actual.image().size(), "planes");
        for (int p = 0; p < expected.image().size(); p++) {
            assertArrayEquals(expected.image().plane(p).data(), actual.image().plane(p).data(), 0f, "plane " + p + " differs");
        }
        assertEquals(expected.image().info(), actual.image().info(), "the output's metadata");
        assertEquals(expected.report().planes().size(), actual.report().planes().size(), "solves reported");
        for (int p = 0; p < expected.report().planes().size(); p++) {
            var e = expected.report().planes().get(p);
            var a = actual.report().planes().get(p);
            assertEquals(e.iterations(), a.iterations(), "iterations of solve " + p);
            assertEquals(e.tileIterations(), a.tileIterations(), "per-tile iterations of solve " + p);
            assertEquals(e.noiseSigmaNormalized(), a.noiseSigmaNormalized(), "noise level of solve " + p);
            assertEquals(String.valueOf(e.operator()), String.valueOf(a.operator()), "operator of solve " + p);
        }
        assertEquals(expected.report().deblur().tiling(), actual.report().deblur().tiling());
    }

    @Test
    void aTiledStackWithWarmStartsAssemblesToTheSequentialResult() throws Exception {
        ImageData in = blobs(120, 100, 2, 3);
        Psf psf = Psf.of(PsfGenerator.gaussian(2.0, 0), "gaussian:2");
        MethodConfig deq = new MethodConfig("deq", 6, Double.NaN, Double.NaN);
        Deconvolution.Options o = Deconvolution.Options.defaults().withTileCore(64);
        Reconstruction whole = Deconvolution.run(in, psf, deq, o, Device.cpu(), Deconvolution.PlaneListener.NONE);
        TiledDeconvolution tiled = Deconvolution.tiled(in, psf, deq, o, Device.cpu());
        assertEquals(4, tiled.parts(), "a 2x2 grid of 64 px cores");
        assertEquals(whole.report().deblur().tiling(), tiled.grid());
        Reconstruction parts = inParts(tiled);
        assertSame(whole, parts);
        assertNotNull(parts.report().deblur().warmStart(), "warm starts along the stack are reported");
        assertEquals(whole.report().deblur().warmStart().line(), parts.report().deblur().warmStart().line());
    }

    @Test
    void aMultiFrameSceneInTilesIsTheSequentialOne() throws Exception {
        ImageData in = blobs(140, 100, 2, 4);
        Psf psf = Psf.of(List.of(PsfGenerator.gaussian(1.5, 15), PsfGenerator.gaussianStretched(1.5, 2, 0.5, 15)), "two views");
        Deconvolution.Options o = new Deconvolution.Options(Boundary.EXTENDED, "percentile", true, Double.NaN, null).withTileCore(70);
        MethodConfig rl = new MethodConfig("rl", 15, Double.NaN, Double.NaN);
        Reconstruction whole = Deconvolution.run(in, psf, rl, o, Device.cpu(), Deconvolution.PlaneListener.NONE);
        TiledDeconvolution tiled = Deconvolution.tiled(in, psf, rl, o, Device.cpu());
        assertTrue(tiled.parts() > 1);
        assertSame(whole, inParts(tiled));
    }

    @Test
    void aHyperstackOfVolumesInTilesIsTheSequentialOne() throws Exception {
        int d = 6, tp = 2;
        ImageData in = blobs(96, 80, d * tp, 5).withTimePoints(tp);
        Volume kernel = PsfGenerator.bornWolfVolume(1.2, 520, 100, 1.33, 250, 5, 9);
        Psf psf = Psf.volume(kernel, "born-wolf test", Calibration.none());
        Deconvolution.Options o = Deconvolution.Options.defaults().withVolume(true).withTileCore(48);
        MethodConfig rl = new MethodConfig("rl", 8, Double.NaN, Double.NaN);
        Reconstruction whole = Deconvolution.run(in, psf, rl, o, Device.cpu(), Deconvolution.PlaneListener.NONE);
        TiledDeconvolution tiled = Deconvolution.tiled(in, psf, rl, o, Device.cpu());
        assertEquals(tp * 4, tiled.parts(), "2x2 tiles per time point");
        assertSame(whole, inParts(tiled));
    }

    @Test
    void assemblingNeedsEveryPartOnce() {
        ImageData in = blobs(150, 130, 1, 6);
        Psf psf = Psf.of(PsfGenerator.gaussian(1.5, 0), "gaussian:1.5");
        TiledDeconvolution tiled = Deconvolution.tiled(in, psf, MethodConfig.of("wiener"), Deconvolution.Options.defaults().withTileCore(64),
                Device.cpu());
        TilePart first = tiled.solve(0, Deconvolution.PlaneListener.NONE);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> tiled.assemble(List.of(first, first)));
        assertTrue(e.getMessage().contains("given twice"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> tiled.assemble(List.of(first)));
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }
}
