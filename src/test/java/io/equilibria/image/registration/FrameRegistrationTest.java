package io.equilibria.image.registration;

import io.equilibria.image.Plane;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Frames moved by known drifts (up to 5 px) and rotations (up to 2°), with noise, registered back: the recovered maps
 * against the truth, as RMS distance over the field.
 */
class FrameRegistrationTest {
    private static final int N = 192;

    /** A specimen-like frame: blurred blobs of random size and brightness on a dim background. */
    static Plane specimen(long seed) {
        Random r = new Random(seed);
        float[] v = new float[N * N];
        for (int b = 0; b < 60; b++) {
            double cx = r.nextDouble() * N, cy = r.nextDouble() * N, s = 2 + 6 * r.nextDouble(), a = 0.3 + r.nextDouble();
            for (int y = 0; y < N; y++) for (int x = 0; x < N; x++) {
                double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                if (d2 < 25 * s * s) v[y * N + x] += (float) (a * Math.exp(-d2 / (2 * s * s)));
            }
        }
        for (int i = 0; i < v.length; i++) v[i] += 0.05f;
        return new Plane(N, N, v);
    }

    /** The reference seen through t (frame(t p) = reference(p)), plus Gaussian noise of {@code sigma}. */
    static Plane moved(Plane reference, Transform2d t, double sigma, long seed) {
        Plane f = FrameRegistration.align(reference, t.inverse());
        Random r = new Random(seed);
        float[] v = f.data().clone();
        for (int i = 0; i < v.length; i++) v[i] += (float) (sigma * r.nextGaussian());
        return new Plane(N, N, v);
    }

    @Test
    void phaseCorrelationFindsSubPixelShifts() {
        Plane ref = specimen(1);
        double worst = 0;
        for (double[] d : new double[][] {{3.25, -1.5}, {-4.6, 4.1}, {0.4, 0.7}, {5, -5}}) {
            Transform2d truth = Transform2d.translation(d[0], d[1]);
            Transform2d got = FrameRegistration.phaseCorrelation(ref, moved(ref, truth, 0.01, 7));
            worst = Math.max(worst, got.rmsDistance(truth, N, N));
            assertTrue(got.confidence() > 0.2, "confidence " + got.confidence());
        }
        System.out.println("phase correlation: worst RMS error " + worst + " px");
        assertTrue(worst <= 0.2, "worst RMS error " + worst + " px");
    }

    @Test
    void eccRecoversDriftsAndRotationsToATenthOfAPixel() {
        Random r = new Random(3);
        double sum = 0;
        int n = 0;
        for (int k = 0; k < 6; k++) {
            Plane ref = specimen(10 + k);
            Transform2d truth = Transform2d.rotation(4 * r.nextDouble() - 2, N / 2.0, N / 2.0, 10 * r.nextDouble() - 5, 10 * r.nextDouble() - 5);
            Transform2d got = FrameRegistration.ecc(ref, moved(ref, truth, 0.01, 20 + k), Motion.EUCLIDEAN, 2);
            double e = got.rmsDistance(truth, N, N);
            assertTrue(e < 0.1, "frame " + k + ": RMS error " + e + " px for " + truth + ", got " + got);
            assertTrue(got.confidence() > 0.9, "confidence " + got.confidence());
            sum += e * e;
            n++;
        }
        double rms = Math.sqrt(sum / n);
        System.out.println("ECC euclidean, 6 frames: RMS error " + rms + " px");
        assertTrue(rms <= 0.05, "RMS error over the frames " + rms + " px");
    }

    @Test
    void unrelatedFramesHaveLowPhaseCorrelationConfidence() {
        Transform2d t = FrameRegistration.phaseCorrelation(specimen(1), specimen(2));
        Transform2d same = FrameRegistration.phaseCorrelation(specimen(1), moved(specimen(1), Transform2d.translation(2, 1), 0.01, 1));
        assertTrue(t.confidence() < same.confidence() / 2, t.confidence() + " vs " + same.confidence());
        assertEquals(0, Transform2d.identity().rmsDistance(Transform2d.identity().inverse(), N, N), 1e-12);
    }
}
