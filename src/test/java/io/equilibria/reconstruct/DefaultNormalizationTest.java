package io.equilibria.reconstruct;

import io.equilibria.reconstruct.methods.Deconvolution;

import io.equilibria.reconstruct.methods.MethodConfig;

import ai.djl.Device;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Normalization;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.physics.Boundary;
import io.equilibria.physics.Noise;
import io.equilibria.physics.Psf;
import io.equilibria.physics.PsfGenerator;
import io.equilibria.simulate.Simulator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The default normalisation never costs a method accuracy against its own run on the same data without
 * normalisation: Richardson–Lucy and the DEQ, on a textured photograph (the camera man) and on a real bright-field
 * micrograph (a TEM camera image: a dark object on a bright background, no dark floor). The CSBDeep-style
 * percentile normalisation, the former default, is printed beside them: it shifts the data's zero.
 */
class DefaultNormalizationTest {
    @ParameterizedTest
    @CsvSource({"skimage_camera.png, rl", "tem_brightfield.png, rl", "skimage_camera.png, deq", "tem_brightfield.png, deq"})
    void theDefaultCostsNothingAgainstNoNormalisation(String file, String method) {
        Plane truth = crop(ImageFiles.read(Path.of("sample-images", file)).plane(0), 96).toUnitRange();
        Psf psf = Psf.of(PsfGenerator.gaussian(2, 0), "gaussian:2");
        ImageData gt = ImageData.of(truth, Calibration.none());
        ImageData y = Simulator.deblur(gt, psf, new Noise(0.01, 300, 5), false, Boundary.EXTENDED, Device.cpu()).observations();
        double none = psnr(truth, y, psf, method, "none");
        double dflt = psnr(truth, y, psf, method, Normalization.DEFAULT);
        double pct = psnr(truth, y, psf, method, "percentile");
        System.out.printf(Locale.ROOT, "%s %s: none %.3f dB, default %.3f dB, percentile %.3f dB%n", file, method, none, dflt, pct);
        assertTrue(dflt >= none - 0.02, method + " on " + file + ": default " + dflt + " dB < none " + none + " dB");
    }

    @org.junit.jupiter.api.Test
    void aCameraOffsetIsEstimatedOnlyFromAFlatDarkBackground() {
        // 16-bit fluorescence-like frame: dark empty background at offset 100 with read noise, bright spots
        java.util.Random r = new java.util.Random(3);
        float[] v = new float[128 * 128];
        for (int i = 0; i < v.length; i++) {
            int x = i % 128, yy = i / 128;
            double s = Math.exp(-(Math.pow(x - 40, 2) + Math.pow(yy - 60, 2)) / 50) + Math.exp(-(Math.pow(x - 90, 2) + Math.pow(yy - 30, 2)) / 30);
            v[i] = (float) Math.round(100 + 3000 * s + 3 * r.nextGaussian());
        }
        Normalization n = Normalization.fit(Normalization.DEFAULT, 16, v);
        // (it may err a little low: the lower bound of the offset that the dark level's shot noise allows)
        assertTrue(n.low() > 90 && n.low() <= 101, n.describe());
        assertTrue(n.describe().contains("estimated"), n.describe());
        // the same numbers as float data: never an estimated offset
        assertEquals(0, Normalization.fit(Normalization.DEFAULT, 32, v).low());
        // a bright-field 16-bit image (bright background, textured dark object): no offset is invented
        Plane bf = ImageFiles.read(Path.of("sample-images", "tem_brightfield.png")).plane(0);
        assertEquals(0, Normalization.fit(Normalization.DEFAULT, 16, bf.data()).low(), Normalization.fit(Normalization.DEFAULT, 16, bf.data()).describe());
        // a given offset is used as given
        assertEquals(97, Normalization.fit("scale:offset=97", 16, v).low());
    }

    @org.junit.jupiter.api.Test
    void aDimButLitBackgroundIsNotTakenForTheOffset() {
        // a camera with shot noise (10 ADU per photoelectron), read noise 2 e-, offset 100: an empty background and a
        // background 25 e- above the offset (a phase image's dim field). The darkest flat level is 100 and 350 ADU;
        // only the first is the offset, and the shot noise of the second says so.
        java.util.Random r = new java.util.Random(9);
        for (double background : new double[] {0, 25}) {
            float[] v = new float[192 * 192];
            for (int i = 0; i < v.length; i++) {
                int x = i % 192, yy = i / 192;
                double e = background + 280 * (Math.exp(-(Math.pow(x - 60, 2) + Math.pow(yy - 70, 2)) / 200)
                        + Math.exp(-(Math.pow(x - 140, 2) + Math.pow(yy - 120, 2)) / 120));
                double electrons = poisson(r, e) + 2 * r.nextGaussian();
                v[i] = (float) Math.round(100 + 10 * electrons);
            }
            Normalization n = Normalization.fit(Normalization.DEFAULT, 16, v);
            System.out.printf(Locale.ROOT, "background %.0f e-: %s%n", background, n.describe());
            assertTrue(n.low() >= 40 && n.low() <= 110, "background " + background + " e-: " + n.describe());
        }
    }

    @org.junit.jupiter.api.Test
    void aZStackLitEverywhereByOutOfFocusLightStillHasItsOffsetFound() {
        // a widefield stack of a thick specimen: out-of-focus light (at least 8 photons, up to 300 in the middle)
        // lights every voxel, so there is no flat dark floor; gain 1 ADU/photon, read noise 2, offset 100
        java.util.Random r = new java.util.Random(5);
        int n = 96, d = 16;
        float[][] planes = new float[d][n * n];
        for (int z = 0; z < d; z++) {
            for (int i = 0; i < n * n; i++) {
                int x = i % n, yy = i / n;
                double rr = (Math.pow(x - 40, 2) + Math.pow(yy - 55, 2)) / Math.pow(18 + 2 * Math.abs(z - 8), 2);
                double photons = 8 + 0.1 * x + 300 * Math.exp(-rr / 2);
                planes[z][i] = (float) Math.round(100 + poisson(r, photons) + 2 * r.nextGaussian());
            }
        }
        Normalization plane = Normalization.fit(Normalization.DEFAULT, 16, planes);
        Normalization volume = Normalization.fit(Normalization.DEFAULT, 16, true, planes);
        System.out.println("as planes: " + plane.describe() + "\nas a volume: " + volume.describe());
        assertEquals(0, plane.low(), "2D keeps its flat-floor rule: " + plane.describe());
        // the lower bound errs low by (read noise)^2 / gain = 4 ADU
        assertTrue(volume.low() > 92 && volume.low() <= 101, volume.describe());
    }

    private static double poisson(java.util.Random r, double mean) {
        if (mean > 50) return Math.max(0, Math.round(mean + Math.sqrt(mean) * r.nextGaussian()));
        double l = Math.exp(-mean), p = 1;
        int k = 0;
        do { k++; p *= r.nextDouble(); } while (p > l);
        return k - 1;
    }

    private static double psnr(Plane truth, ImageData y, Psf psf, String method, String normalization) {
        MethodConfig m = new MethodConfig(method, 0, Double.NaN, Double.NaN, null, null);
        Deconvolution.Options o = new Deconvolution.Options(Boundary.EXTENDED, normalization, false, Double.NaN, null);
        Plane x = Deconvolution.run(y, psf, m, o, Device.cpu(), Deconvolution.PlaneListener.NONE).image().plane(0);
        return ImageMetrics.psnr(truth, x, 1);
    }

    private static Plane crop(Plane p, int n) {
        int x0 = (p.width() - n) / 2, y0 = (p.height() - n) / 2;
        float[] d = new float[n * n];
        for (int yy = 0; yy < n; yy++) System.arraycopy(p.data(), (y0 + yy) * p.width() + x0, d, yy * n, n);
        return new Plane(n, n, d);
    }
}
