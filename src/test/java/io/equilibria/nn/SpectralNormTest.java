package io.equilibria.nn;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import io.equilibria.TestSupport;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpectralNormTest {
    private NDManager m;

    @BeforeEach
    void open() {
        m = TestSupport.manager().newSubManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    private NDArray gaussian(Shape shape, long seed, DataType type) {
        Random r = new Random(seed);
        double[] d = new double[(int) shape.size()];
        for (int i = 0; i < d.length; i++) d[i] = r.nextGaussian();
        return m.create(d, shape).toType(type, false);
    }

    private static double largestSingularValue(double[][] a) {
        return new SingularValueDecomposition(new Array2DRowRealMatrix(a, false)).getSingularValues()[0];
    }

    private static double[][] rows(NDArray a, int n) {
        double[] d = a.toType(DataType.FLOAT64, false).toDoubleArray();
        int cols = d.length / n;
        double[][] r = new double[n][cols];
        for (int i = 0; i < n; i++) System.arraycopy(d, i * cols, r[i], 0, cols);
        return r;
    }

    /** The dense matrix of x ↦ f(x) − f(0) (transposed: one row per unit input), f applied to a batch of unit vectors. */
    private static double[][] denseOperator(java.util.function.Function<NDArray, NDArray> f, NDManager m, Shape one, DataType type) {
        int n = (int) one.size();
        NDArray eye = m.eye(n).toType(type, false).reshape(new Shape(n).addAll(one.slice(1)));
        NDArray zero = m.zeros(one, type);
        NDArray rowsOut = f.apply(eye).sub(f.apply(zero));
        return rows(rowsOut, n);
    }

    private static NDArray forward(AbstractBlock b, NDManager m, NDArray x, boolean training) {
        return b.forward(new ParameterStore(m, false), new NDList(x), training).singletonOrThrow();
    }

    @Test
    void matrixModeConvergesToTheLargestSingularValue() {
        NDArray w = gaussian(new Shape(20, 30), 7, DataType.FLOAT64);
        double exact = largestSingularValue(rows(w, 20));

        try (SpectralNorm sn = SpectralNorm.builder().mode(SpectralNorm.Mode.MATRIX).build()) {
            double est = sn.estimate(w, 5000);
            assertEquals(exact, est, 1e-4 * exact, "estimate()");
        }
        // the persistent vectors converge too under one power step per training call
        try (SpectralNorm sn = SpectralNorm.builder().mode(SpectralNorm.Mode.MATRIX).build()) {
            for (int i = 0; i < 300; i++) sn.normalize(w, true).close();
            assertEquals(exact, sn.sigma(), 1e-4 * exact, "after 300 training calls");
            // and the normalised matrix has norm exactly c = 1 (σ > 1 here)
            assertTrue(exact > 2);
            try (NDArray wn = sn.normalize(w, false)) {
                assertEquals(1.0, largestSingularValue(rows(wn, 20)), 1e-4);
            }
        }
    }

    @Test
    void operatorModeMatchesTheDenseConvolutionNorm() {
        int cin = 2, cout = 3, h = 8, wd = 8;
        NDArray w = gaussian(new Shape(cout, cin, 3, 3), 3, DataType.FLOAT64);
        double[][] dense = denseOperator(x -> Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(1, 1), new Shape(1, 1), 1)
                .singletonOrThrow(), m, new Shape(1, cin, h, wd), DataType.FLOAT64);
        double exact = largestSingularValue(dense);
        try (SpectralNorm sn = SpectralNorm.builder().mode(SpectralNorm.Mode.OPERATOR).inputSize(h, wd).padding(1, 1).build()) {
            double est = sn.estimate(w, 1000);
            assertEquals(exact, est, 1e-3 * exact);
        }
        // MATRIX mode is a different number for a convolution (it neither equals nor bounds the operator norm)
        try (SpectralNorm sn = SpectralNorm.builder().mode(SpectralNorm.Mode.MATRIX).build()) {
            assertTrue(Math.abs(sn.estimate(w, 1000) - exact) > 1e-2 * exact);
        }
        // a non-"same" padding too: 3×3 kernel, no padding, output 6×6
        double[][] valid = denseOperator(x -> Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(0, 0), new Shape(1, 1), 1)
                .singletonOrThrow(), m, new Shape(1, cin, h, wd), DataType.FLOAT64);
        try (SpectralNorm sn = SpectralNorm.builder().mode(SpectralNorm.Mode.OPERATOR).inputSize(h, wd).padding(0, 0).build()) {
            double e = largestSingularValue(valid);
            assertEquals(e, sn.estimate(w, 1000), 1e-3 * e);
        }
    }

    /**
     * With zero padding the norm on an H×W patch grows with the patch towards the norm on the infinite plane, the
     * maximum over frequencies of the largest singular value of the kernel's transfer matrix (Sedghi et al. 2019).
     */
    @Test
    void finitePatchSlightlyUnderestimatesTheNormOnLargerImages() {
        int cin = 2, cout = 3;
        NDArray w = gaussian(new Shape(cout, cin, 3, 3), 13, DataType.FLOAT64);
        double[] k = w.toDoubleArray();
        double plane = 0;
        int grid = 256;
        for (int p = 0; p < grid; p++) {
            for (int q = 0; q < grid; q++) {
                double w1 = 2 * Math.PI * p / grid, w2 = 2 * Math.PI * q / grid;
                double[][] real = new double[2 * cout][2 * cin]; // [[A, -B], [B, A]] for the complex matrix A + iB
                for (int o = 0; o < cout; o++) {
                    for (int c = 0; c < cin; c++) {
                        double re = 0, im = 0;
                        for (int a = 0; a < 3; a++) {
                            for (int b = 0; b < 3; b++) {
                                double val = k[((o * cin + c) * 3 + a) * 3 + b];
                                re += val * Math.cos(w1 * a + w2 * b);
                                im -= val * Math.sin(w1 * a + w2 * b);
                            }
                        }
                        real[o][c] = re;
                        real[o][c + cin] = -im;
                        real[o + cout][c] = im;
                        real[o + cout][c + cin] = re;
                    }
                }
                plane = Math.max(plane, largestSingularValue(real));
            }
        }
        double previous = 0;
        StringBuilder report = new StringBuilder("plane " + plane);
        for (int size : new int[] {8, 16, 32}) {
            try (SpectralNorm sn = SpectralNorm.builder().mode(SpectralNorm.Mode.OPERATOR).inputSize(size, size).build()) {
                double s = sn.estimate(w, 5000);
                report.append(String.format(", %dx%d %.6f (%.2e below)", size, size, s, (plane - s) / plane));
                assertTrue(s >= previous - 1e-9, "grows with the patch: " + report);
                assertTrue(s <= plane * (1 + 1e-6), "never above the plane norm: " + report);
                previous = s;
            }
        }
        System.out.println("finite-patch underestimate: " + report);
        assertTrue((plane - previous) / plane < 1e-2, "32x32 within 1% of the plane norm: " + report);
        assertTrue(plane - previous > 0, "but strictly below it: " + report);
    }

    @ParameterizedTest
    @ValueSource(doubles = {1.0, 0.5})
    void normalisedLayersAreCLipschitz(double c) {
        // conv: Cin 2 → Cout 3 on 8×8, weights scaled up so the normalisation is active
        SnConv2d conv = SnConv2d.builder().outChannels(3).bound(c).normSize(8, 8).build();
        Shape xs = new Shape(1, 2, 8, 8);
        conv.initialize(m, DataType.FLOAT32, xs);
        setSeeded(conv.weight().getArray(), 8); // a kernel whose top singular values are well separated
        assertTrue(conv.estimate(2000) > 2 * c);
        checkLipschitz(conv, xs, c);

        SnLinear lin = SnLinear.builder().units(20).bound(c).build();
        Shape ls = new Shape(1, 30);
        lin.initialize(m, DataType.FLOAT32, ls);
        setSeeded(lin.weight().getArray(), 9);
        assertTrue(lin.estimate(2000) > 2 * c);
        checkLipschitz(lin, ls, c);
    }

    /** Overwrites an initialised parameter with seeded N(0,1) values, so the test does not depend on the engine RNG. */
    private void setSeeded(NDArray param, long seed) {
        NDArray g = gaussian(param.getShape(), seed, DataType.FLOAT64);
        if (param.getDataType() == DataType.FLOAT32) param.set(FloatBuffer.wrap(g.toType(DataType.FLOAT32, false).toFloatArray()));
        else param.set(DoubleBuffer.wrap(g.toDoubleArray()));
    }

    private void checkLipschitz(AbstractBlock block, Shape one, double c) {
        double worst = 0;
        for (int i = 0; i < 50; i++) {
            NDArray a = gaussian(one, 100 + i, DataType.FLOAT32);
            NDArray b = i % 2 == 0 ? gaussian(one, 200 + i, DataType.FLOAT32) : a.add(gaussian(one, 300 + i, DataType.FLOAT32).mul(1e-2));
            double num = forward(block, m, a, false).sub(forward(block, m, b, false)).norm().getFloat();
            double den = a.sub(b).norm().getFloat();
            worst = Math.max(worst, num / den);
        }
        assertTrue(worst <= c + 1e-3, "random pairs: " + worst);
        // the exact Lipschitz constant of the affine layer: its dense linear part's norm, which should equal c
        double exact = largestSingularValue(denseOperator(x -> forward(block, m, x, false), m, one, DataType.FLOAT32));
        assertTrue(exact <= c + 1e-3, "exact Lipschitz constant " + exact);
        assertTrue(exact >= c - 1e-3, "bound attained, normalisation active: " + exact);
    }

    @Test
    void gradientThroughTheNormalisedWeightMatchesFiniteDifferences() {
        SnConv2d conv = SnConv2d.builder().outChannels(2).bound(0.3).normSize(6, 6).build();
        Shape xs = new Shape(1, 2, 6, 6);
        conv.initialize(m, DataType.FLOAT64, xs);
        setSeeded(conv.weight().getArray(), 5);
        checkGradient(conv, xs, new Shape(1, 2, 6, 6));

        SnLinear lin = SnLinear.builder().units(4).bound(0.3).build();
        Shape ls = new Shape(3, 5);
        lin.initialize(m, DataType.FLOAT64, ls);
        setSeeded(lin.weight().getArray(), 6);
        checkGradient(lin, ls, new Shape(3, 4));
    }

    private void checkGradient(AbstractBlock block, Shape xs, Shape ys) {
        NDArray x = gaussian(xs, 21, DataType.FLOAT64);
        NDArray g = gaussian(ys, 22, DataType.FLOAT64);
        NDArray w = block.getParameters().get("weight").getArray();
        double[] analytic;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = forward(block, m, x, true).mul(g).sum(); // training: one power step, then σ̂ with the graph
            gc.backward(loss);
            analytic = w.getGradient().toDoubleArray();
        }
        double sigma = block instanceof SnConv2d ? ((SnConv2d) block).sigma() : ((SnLinear) block).sigma();
        assertTrue(sigma > 0.3 * 1.5, "normalisation active, sigma " + sigma);
        // finite differences with the vectors frozen (inference), which is the function the graph differentiates
        double[] base = w.toDoubleArray();
        double h = 1e-6, scale = 0, err = 0;
        for (int i = 0; i < base.length; i++) {
            double[] p = base.clone();
            p[i] += h;
            w.set(DoubleBuffer.wrap(p));
            double up = forward(block, m, x, false).mul(g).sum().getDouble();
            p[i] -= 2 * h;
            w.set(DoubleBuffer.wrap(p));
            double down = forward(block, m, x, false).mul(g).sum().getDouble();
            double fd = (up - down) / (2 * h);
            err = Math.max(err, Math.abs(fd - analytic[i]));
            scale = Math.max(scale, Math.abs(fd));
        }
        w.set(DoubleBuffer.wrap(base));
        assertTrue(err <= 1e-6 * Math.max(1, scale), "max |fd - autograd| " + err + " (scale " + scale + ")");
    }

    @ParameterizedTest
    @ValueSource(strings = {"float32", "float64"})
    void saveThenLoadReproducesOutputsAndSigma(String type) throws Exception {
        DataType dt = DataType.valueOf(type.toUpperCase());
        Shape xs = new Shape(2, 3, 10, 10);
        SnConv2d conv = SnConv2d.builder().outChannels(4).bound(0.2).normSize(10, 10).build();
        conv.initialize(m, dt, xs);
        SnConv2d conv2 = SnConv2d.builder().outChannels(4).bound(0.2).normSize(10, 10).seed(99).build();
        roundTrip(conv, conv2, xs, dt);

        Shape ls = new Shape(2, 7);
        SnLinear lin = SnLinear.builder().units(5).bound(0.2).build();
        lin.initialize(m, dt, ls);
        roundTrip(lin, SnLinear.builder().units(5).bound(0.2).seed(99).build(), ls, dt);
    }

    private void roundTrip(AbstractBlock a, AbstractBlock b, Shape xs, DataType dt) throws Exception {
        NDArray x = gaussian(xs, 31, dt);
        for (int i = 0; i < 3; i++) forward(a, m, x, true); // a few steps: the vectors are far from converged
        NDArray ya = forward(a, m, x, false);
        double sa = a instanceof SnConv2d ? ((SnConv2d) a).sigma() : ((SnLinear) a).sigma();
        assertTrue(sa > 0.2, "normalisation active, so the vectors matter: sigma " + sa);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        a.saveParameters(new DataOutputStream(bytes));
        b.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        double sb = a instanceof SnConv2d ? ((SnConv2d) b).sigma() : ((SnLinear) b).sigma();
        assertEquals(sa, sb, 0.0, "sigma after load");
        NDArray yb = forward(b, m, x, false);
        assertArrayEquals(ya.toType(DataType.FLOAT64, false).toDoubleArray(), yb.toType(DataType.FLOAT64, false).toDoubleArray(), 0.0);
        assertEquals(sa, b instanceof SnConv2d ? ((SnConv2d) b).sigma() : ((SnLinear) b).sigma(), 0.0, "sigma after a forward");
    }

    @Test
    void repeatedForwardsDoNotGrowTheManagers() {
        NDManager params = m.newSubManager();
        NDManager inputs = m.newSubManager();
        SnConv2d conv = SnConv2d.builder().outChannels(4).normSize(16, 16).build();
        conv.initialize(params, DataType.FLOAT32, new Shape(1, 3, 16, 16));
        SnLinear lin = SnLinear.builder().units(6).build();
        lin.initialize(params, DataType.FLOAT32, new Shape(2, 9));
        NDArray x = gaussian(new Shape(1, 3, 16, 16), 41, DataType.FLOAT32);
        x.attach(inputs);
        NDArray z = gaussian(new Shape(2, 9), 42, DataType.FLOAT32);
        z.attach(inputs);
        ParameterStore ps = new ParameterStore(params, false);
        java.util.function.IntConsumer round = n -> {
            for (int i = 0; i < n; i++) {
                boolean training = i % 2 == 1;
                if (i % 4 == 3) {
                    // the test's own temporaries (outputs, loss) close with this scope
                    try (NDScope scope = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray y = conv.forward(ps, new NDList(x), true).singletonOrThrow();
                        NDArray yl = lin.forward(ps, new NDList(z), true).singletonOrThrow();
                        gc.backward(y.sum().add(yl.sum()));
                    }
                } else {
                    conv.forward(ps, new NDList(x), training).singletonOrThrow().close();
                    lin.forward(ps, new NDList(z), training).singletonOrThrow().close();
                }
            }
        };
        round.accept(4); // warm-up through every branch: creates the vectors, σ̂ and the gradients
        int p0 = params.getManagedArrays().size(), i0 = inputs.getManagedArrays().size();
        round.accept(200);
        System.out.println("managed arrays: params " + p0 + " -> " + params.getManagedArrays().size()
                + ", inputs " + i0 + " -> " + inputs.getManagedArrays().size());
        assertEquals(p0, params.getManagedArrays().size(), "parameter manager (with the vectors' sub-managers)");
        assertEquals(i0, inputs.getManagedArrays().size(), "input manager");
    }

    @Test
    void inferenceReusesTheNormalisedWeightUntilTheWeightChanges() {
        NDArray w = gaussian(new Shape(4, 3, 3, 3), 11, DataType.FLOAT32);
        try (SpectralNorm sn = SpectralNorm.builder().mode(SpectralNorm.Mode.OPERATOR).inputSize(16, 16).padding(1, 1).build()) {
            sn.estimate(w, 200);
            NDArray a = sn.normalize(w, false), b = sn.normalize(w, false);
            assertTrue(a == b, "a frozen weight's normalised copy is computed once");
            double s = sn.sigma();
            assertEquals(Math.min(1, 1 / s), a.div(w).mean().getFloat(), 1e-5, "W min(1, c / sigma)");
            float aSum = a.sum().getFloat();
            NDArray w2 = w.mul(3f);
            NDArray c = sn.normalize(w2, false);
            assertTrue(c != a && a.isReleased(), "another weight array is normalised anew (the old copy is released)");
            assertEquals(3f * aSum, c.mul(Math.max(1, 3 * s) / Math.max(1, s)).sum().getFloat(), 1e-3);
            c.close(); // a caller that closes it only costs a recomputation
            NDArray d = sn.normalize(w2, false);
            assertTrue(!d.isReleased());
            w.setRequiresGradient(true); // a trainable weight is never cached
            NDArray e = sn.normalize(w, false), f = sn.normalize(w, false);
            assertTrue(e != f);
        }
    }
}
