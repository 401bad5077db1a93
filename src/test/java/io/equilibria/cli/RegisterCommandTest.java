package io.equilibria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.Plane;
import io.equilibria.image.registration.FrameRegistration;
import io.equilibria.image.registration.Transform2d;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code register} on an 8-frame stack with known drifts and rotations, and its refusal of a frame of another scene. */
class RegisterCommandTest {
    private static final int N = 160;

    private static Plane specimen(long seed) {
        Random r = new Random(seed);
        float[] v = new float[N * N];
        for (int b = 0; b < 50; b++) {
            double cx = r.nextDouble() * N, cy = r.nextDouble() * N, s = 2 + 5 * r.nextDouble(), a = 0.3 + r.nextDouble();
            for (int y = 0; y < N; y++) for (int x = 0; x < N; x++) {
                double d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
                if (d2 < 25 * s * s) v[y * N + x] += (float) (a * Math.exp(-d2 / (2 * s * s)));
            }
        }
        return new Plane(N, N, v);
    }

    /** Eight views of one scene: frame 1 as is, the others drifted up to 5 px and turned up to 2 degrees, with noise. */
    private static List<Transform2d> stack(Path file, boolean oneUnrelated) {
        Plane scene = specimen(5);
        Random r = new Random(9);
        List<Transform2d> truth = new ArrayList<>();
        List<Plane> frames = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            Transform2d t = i == 0 ? Transform2d.identity()
                    : Transform2d.rotation(4 * r.nextDouble() - 2, N / 2.0, N / 2.0, 10 * r.nextDouble() - 5, 10 * r.nextDouble() - 5);
            Plane f = oneUnrelated && i == 5 ? specimen(77) : FrameRegistration.align(scene, t.inverse());
            float[] v = f.data().clone();
            for (int k = 0; k < v.length; k++) v[k] += (float) (0.01 * r.nextGaussian());
            frames.add(new Plane(N, N, v));
            truth.add(t);
        }
        ImageFiles.writeFloatTiff(new ImageData(frames, io.equilibria.image.Calibration.none(), 32), file);
        return truth;
    }

    @Test
    void eightDriftedAndTurnedFramesAreRegisteredToAFifthOfAPixel(@TempDir Path dir) throws Exception {
        Path in = dir.resolve("frames.tif"), out = dir.resolve("aligned.tif"), json = dir.resolve("t.json");
        List<Transform2d> truth = stack(in, false);
        assertEquals(ExitCodes.OK, Main.run("register", "--input", in.toString(), "--output", out.toString(), "--transforms", json.toString()));
        JsonNode frames = new ObjectMapper().readTree(json.toFile()).get("frames");
        double sum = 0;
        for (int i = 0; i < 8; i++) {
            JsonNode m = frames.get(i).get("matrix");
            Transform2d got = new Transform2d(m.get(0).get(0).asDouble(), m.get(0).get(1).asDouble(), m.get(0).get(2).asDouble(),
                    m.get(1).get(0).asDouble(), m.get(1).get(1).asDouble(), m.get(1).get(2).asDouble(), null, Double.NaN);
            double e = got.rmsDistance(truth.get(i), N, N);
            sum += e * e;
        }
        double rms = Math.sqrt(sum / 8);
        System.out.println("register, 8 frames: RMS error " + rms + " px");
        assertTrue(rms <= 0.2, "RMS error " + rms + " px");
        ImageData aligned = ImageFiles.read(out);
        assertEquals(8, aligned.size());
        // the aligned frames agree with the reference inside the field every frame still covers
        float[] a = aligned.plane(0).data(), b = aligned.plane(4).data();
        double diff = 0;
        int n = 0;
        for (int y = 20; y < N - 20; y++) for (int x = 20; x < N - 20; x++, n++) diff += Math.abs(a[y * N + x] - b[y * N + x]);
        assertTrue(diff / n < 0.03, "mean difference " + diff / n);
    }

    @Test
    void aFrameOfAnotherSceneIsRefusedAndNothingIsWritten(@TempDir Path dir) {
        Path in = dir.resolve("frames.tif"), out = dir.resolve("aligned.tif");
        stack(in, true);
        assertEquals(ExitCodes.BAD_INPUT, Main.run("register", "--input", in.toString(), "--output", out.toString()));
        assertFalse(Files.exists(out));
        assertEquals(ExitCodes.USAGE, Main.run("register", "--input", in.toString(), "--output", out.toString(), "--motion", "spin"));
    }
}
