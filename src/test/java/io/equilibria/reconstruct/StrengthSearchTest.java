package io.equilibria.reconstruct;

import io.equilibria.reconstruct.methods.Deconvolution;

import io.equilibria.reconstruct.methods.MethodConfig;

import ai.djl.Device;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.reconstruct.deq.PriorStrength;
import io.equilibria.simulate.Simulator;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The DEQ's automatic prior strength (SURE): on a smooth image, whose fine detail is all noise, it picks a stronger
 * prior than the trained one and gains clearly (and weighing the Wiener as well costs nothing); on a textured
 * photograph it costs (almost) nothing against the trained strength. Both through {@link Deconvolution}, the path the CLI takes, with the shipped deq-deblur model.
 */
class StrengthSearchTest {
    private static final Psf PSF = Psf.of(PsfGenerator.gaussian(2, 0), "gaussian:2");

    @Test
    void aSmoothImageGetsAStrongerPriorAndAClearGain() {
        int n = 96;
        float[] v = new float[n * n];
        java.util.Random r = new java.util.Random(5);
        double[][] blobs = new double[6][];
        for (int k = 0; k < blobs.length; k++) blobs[k] = new double[] {r.nextDouble() * n, r.nextDouble() * n, 8 + 10 * r.nextDouble(), 0.3 + 0.5 * r.nextDouble()};
        for (int i = 0; i < v.length; i++) {
            double s = 0.1;
            for (double[] b : blobs) s += b[3] * Math.exp(-(Math.pow(i % n - b[0], 2) + Math.pow(i / n - b[1], 2)) / (2 * b[2] * b[2]));
            v[i] = (float) s;
        }
        Plane truth = new Plane(n, n, v).toUnitRange();
        Run fixed = run(truth, PriorStrength.TRAINED), auto = run(truth, PriorStrength.parse("auto:deq")), both = run(truth, PriorStrength.AUTO);
        System.out.printf(Locale.ROOT, "smooth: strength 1 %.2f dB, auto:deq %.2f dB (strength %.3g), auto %.2f dB (%s)%n", fixed.psnr,
                auto.psnr, auto.strength, both.psnr, both.report.get("result"));
        assertTrue(auto.strength > 1, "strength " + auto.strength);
        assertTrue(auto.psnr > fixed.psnr + 1, "auto " + auto.psnr + " dB vs fixed " + fixed.psnr + " dB");
        assertTrue(auto.report.get("strengthSearch") instanceof List<?> l && l.size() >= 3, "search " + auto.report.get("strengthSearch"));
        assertEquals("deq", auto.report.get("result"));
        // with the Wiener among the candidates: never clearly worse than the DEQ-only choice, and a Wiener result says why
        assertTrue(both.psnr > auto.psnr - 0.5, "auto " + both.psnr + " dB vs auto:deq " + auto.psnr + " dB");
        if ("wiener".equals(both.report.get("result"))) assertTrue(String.valueOf(both.report.get("resultRule")).contains("lower SURE"), both.report.toString());
        if ("blend".equals(both.report.get("result"))) {
            double w = ((Number) both.report.get("blendWeight")).doubleValue();
            assertTrue(w > 0 && w < 1, both.report.toString());
        }
        // at every strength visited, the blend's SURE is at most the DEQ's alone (it includes weight 1)
        for (Object e : (List<?>) both.report.get("strengthSearch")) {
            Map<?, ?> m = (Map<?, ?>) e;
            if (m.containsKey("blendSure")) {
                assertTrue(((Number) m.get("blendSure")).doubleValue() <= ((Number) m.get("sure")).doubleValue() + 1e-12, m.toString());
            }
        }
    }

    @Test
    void aTexturedImageKeepsItsQuality() {
        Plane p = ImageFiles.read(Path.of("sample-images", "skimage_camera.png")).plane(0);
        int n = 96, x0 = (p.width() - n) / 2, y0 = (p.height() - n) / 2;
        float[] d = new float[n * n];
        for (int yy = 0; yy < n; yy++) System.arraycopy(p.data(), (y0 + yy) * p.width() + x0, d, yy * n, n);
        Plane truth = new Plane(n, n, d).toUnitRange();
        Run fixed = run(truth, PriorStrength.TRAINED), auto = run(truth, PriorStrength.AUTO);
        System.out.printf(Locale.ROOT, "camera: strength 1 %.2f dB, auto %.2f dB (strength %.3g, %s)%n", fixed.psnr, auto.psnr, auto.strength,
                auto.report.get("result"));
        assertTrue(auto.psnr > fixed.psnr - 0.3, "auto " + auto.psnr + " dB vs fixed " + fixed.psnr + " dB");
        assertEquals(1.0, fixed.strength);
        assertEquals("fixed", fixed.report.get("strengthRule"));
    }

    private record Run(double psnr, double strength, Map<String, Object> report) {}

    private static Run run(Plane truth, PriorStrength strength) {
        ImageData gt = ImageData.of(truth, Calibration.none());
        ImageData y = Simulator.deblur(gt, PSF, new Noise(0.02, 0, 11), false, Boundary.EXTENDED, Device.cpu()).observations();
        MethodConfig m = new MethodConfig("deq", 0, Double.NaN, Double.NaN, null, null, null, strength);
        Deconvolution.Options o = new Deconvolution.Options(Boundary.EXTENDED, io.equilibria.image.Normalization.DEFAULT, false, Double.NaN, null);
        io.equilibria.reconstruct.report.Reconstruction out = Deconvolution.run(y, PSF, m, o, Device.cpu(), Deconvolution.PlaneListener.NONE);
        var params = out.report().first().parameters();
        return new Run(ImageMetrics.psnr(truth, out.image().plane(0), 1), params.strength(), params.values());
    }
}
