package io.equilibria;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Compute;
import io.equilibria.image.Plane;

import java.util.Random;

/** Shared helpers: one CPU manager for the test JVM, seeded random tensors and a smooth test scene. */
public final class TestSupport {
    private static NDManager manager;

    private TestSupport() {}

    public static synchronized NDManager manager() {
        if (manager == null) manager = Compute.manager(Device.cpu());
        return manager;
    }

    /** A body that may throw, for {@link #withOneThread}. */
    public interface Body {
        void run() throws Exception;
    }

    /**
     * Runs {@code body} with one PyTorch intra-op thread, then restores the count: bit-identical training runs need it
     * (with two, oneDNN's convolution gradients were not reproducible on a busy 2-core machine).
     */
    public static void withOneThread(Body body) throws Exception {
        int threads = ai.djl.pytorch.jni.JniUtils.getNumThreads();
        ai.djl.pytorch.jni.JniUtils.setNumThreads(1);
        try {
            body.run();
        } finally {
            ai.djl.pytorch.jni.JniUtils.setNumThreads(threads);
        }
    }

    public static NDArray random(NDManager m, Shape shape, long seed) {
        Random r = new Random(seed);
        float[] v = new float[(int) shape.size()];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return m.create(v, shape);
    }

    /** ‖a − r‖ / ‖r‖ (‖a − r‖ when r is zero); NaN when either holds a NaN. */
    public static double relativeL2(double[] a, double[] r) {
        double num = 0, den = 0;
        for (int i = 0; i < r.length; i++) {
            num += (a[i] - r[i]) * (a[i] - r[i]);
            den += r[i] * r[i];
        }
        return den == 0 ? Math.sqrt(num) : Math.sqrt(num / den);
    }

    public static double dot64(NDArray a, NDArray b) {
        return a.toType(DataType.FLOAT64, false).mul(b.toType(DataType.FLOAT64, false)).sum().getDouble();
    }

    /** A smooth positive scene with edges: a few discs and a ramp, peak about 1. */
    public static Plane scene(int w, int h) {
        float[] d = new float[w * h];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double v = 0.1 + 0.2 * x / w;
                if (Math.hypot(x - w * 0.3, y - h * 0.4) < w * 0.12) v += 0.6;
                if (Math.hypot(x - w * 0.7, y - h * 0.6) < w * 0.08) v += 0.4;
                if (Math.abs(x - w * 0.5) < 1.5 && y > h * 0.2 && y < h * 0.8) v += 0.5;
                d[y * w + x] = (float) v;
            }
        }
        return new Plane(w, h, d);
    }
}
