package io.equilibria.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.training.ParameterStore;
import io.equilibria.TestSupport;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The OPERATOR spectral norm of 3-D convolutions ({@link SnConv3d}): adjoint, exact norm, finite patches, the bound. */
class SpectralNorm3dTest {
    private NDManager m;

    @BeforeEach
    void open() {
        m = TestSupport.manager().newSubManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    private NDArray gaussian(Shape shape, long seed) {
        Random r = new Random(seed);
        double[] d = new double[(int) shape.size()];
        for (int i = 0; i < d.length; i++) d[i] = r.nextGaussian();
        return m.create(d, shape);
    }

    private static double largestSingularValue(double[][] a) {
        return new SingularValueDecomposition(new Array2DRowRealMatrix(a, false)).getSingularValues()[0];
    }

    private static SpectralNorm operator(int d, int h, int w) {
        return SpectralNorm.builder().mode(SpectralNorm.Mode.OPERATOR).inputSize(d, h, w).padding(1, 1, 1).build();
    }

    /** ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ for the same-padded zero-boundary 3-D convolution and its flipped, channel-swapped adjoint. */
    @Test
    void adjointIsTheFlippedChannelSwappedConvolution() {
        NDArray w = gaussian(new Shape(3, 2, 3, 3, 3), 1);
        NDArray x = gaussian(new Shape(1, 2, 5, 6, 7), 2), y = gaussian(new Shape(1, 3, 5, 6, 7), 3);
        try (SpectralNorm sn = operator(5, 6, 7)) {
            NDArray ax = sn.apply(w, x), aty = sn.adjoint(w, y);
            assertEquals(y.getShape(), ax.getShape());
            assertEquals(x.getShape(), aty.getShape());
            double left = ax.mul(y).sum().getDouble(), right = x.mul(aty).sum().getDouble();
            assertEquals(left, right, 1e-12 * Math.abs(left), "<Ax, y> = <x, A^T y>");
            // and it is not the adjoint without the flip (the test can fail)
            NDArray unflipped = Conv3d.conv3d(y, w.swapAxes(0, 1), null, new Shape(1, 1, 1), new Shape(1, 1, 1), new Shape(1, 1, 1), 1).singletonOrThrow();
            assertTrue(Math.abs(x.mul(unflipped).sum().getDouble() - left) > 1e-3 * Math.abs(left));
        }
    }

    /** Power iteration converges to the largest singular value of the dense matrix of the convolution on the patch. */
    @Test
    void operatorModeMatchesTheDenseConvolutionNorm() {
        int cin = 2, cout = 3;
        Shape one = new Shape(1, cin, 4, 5, 6);
        NDArray w = gaussian(new Shape(cout, cin, 3, 3, 3), 4).toType(DataType.FLOAT32, false);
        int n = (int) one.size();
        NDArray eye = m.eye(n).toType(DataType.FLOAT32, false).reshape(new Shape(n).addAll(one.slice(1)));
        NDArray cols = Conv3d.conv3d(eye, w, null, new Shape(1, 1, 1), new Shape(1, 1, 1), new Shape(1, 1, 1), 1).singletonOrThrow();
        double[] d = cols.toType(DataType.FLOAT64, false).toDoubleArray();
        int out = d.length / n;
        double[][] dense = new double[n][out];
        for (int i = 0; i < n; i++) System.arraycopy(d, i * out, dense[i], 0, out);
        double exact = largestSingularValue(dense);
        try (SpectralNorm sn = operator(4, 5, 6)) {
            assertEquals(exact, sn.estimate(w, 2000), 1e-3 * exact);
        }
    }

    /**
     * The whole-space norm is the largest singular value of the kernel's transfer matrix over all frequencies; a
     * zero-padded patch's norm approaches it from below. Then an {@link SnConv3d} normalised on its default 16³ patch,
     * measured on a larger (24³) patch, stays within the bound up to that gap. Float32 (float64 3-D convolutions take
     * the engine's slow path).
     */
    @Test
    void finitePatchesApproachTheWholeSpaceNormAndTheLayerKeepsItsBound() throws Exception {
        TestSupport.withOneThread(this::finitePatches); // thousands of small convolutions: two threads on a busy machine wait on each other
    }

    private void finitePatches() {
        int cin = 2, cout = 3;
        NDArray w = gaussian(new Shape(cout, cin, 3, 3, 3), 13).toType(DataType.FLOAT32, false);
        double whole = wholeSpaceNorm(w.toType(DataType.FLOAT64, false).toDoubleArray(), cin, cout, 32);
        double previous = 0, gap16 = Double.NaN;
        StringBuilder report = new StringBuilder(String.format("whole space %.6f", whole));
        for (int size : new int[] {8, 16}) {
            try (SpectralNorm sn = operator(size, size, size)) {
                double s = sn.estimate(w, 1000);
                double gap = (whole - s) / whole;
                report.append(String.format(", %d^3 %.6f (%.2e below)", size, s, gap));
                assertTrue(s >= previous, "grows with the patch: " + report);
                assertTrue(s <= whole * (1 + 1e-5), "never above the whole-space norm: " + report);
                previous = s;
                if (size == 16) gap16 = gap;
            }
        }
        System.out.println("3D finite-patch underestimate: " + report);
        assertTrue(gap16 < 0.04, "16^3 within 4% of the whole-space norm (3% for this kernel): " + report);

        // the layer: a 2 -> 4 channel SnConv3d, bound 0.5, weights far above it, normalised on 16^3 patches
        double c = 0.5;
        SnConv3d conv = SnConv3d.builder().outChannels(4).bound(c).seed(3).build();
        conv.initialize(m, DataType.FLOAT32, new Shape(1, 2, 16, 16, 16));
        conv.weight().getArray().set(gaussian(conv.weight().getArray().getShape(), 17).toType(DataType.FLOAT32, false).toFloatArray());
        double raw = conv.estimate(1000);
        assertTrue(raw > 3 * c, "normalisation active: " + raw);
        NDArray normalised = conv.spectralNorm().normalize(conv.weight().getArray(), false);
        try (SpectralNorm big = operator(24, 24, 24)) {
            double at24 = big.estimate(normalised, 1000);
            System.out.printf("SnConv3d bound %.2f, normalised on 16^3, measured on 24^3: %.5f%n", c, at24);
            assertTrue(at24 >= c * (1 - 1e-4), "the bound is attained: " + at24);
            assertTrue(at24 <= c * (1 + gap16), "and not exceeded by more than the 16^3 patch's gap: " + at24);
        }
        // the layer as applied is c-Lipschitz on the 16^3 patch: random pairs
        double worst = 0;
        ParameterStore ps = new ParameterStore(m, false);
        for (int i = 0; i < 10; i++) {
            NDArray a = gaussian(new Shape(1, 2, 16, 16, 16), 100 + i).toType(DataType.FLOAT32, false);
            NDArray b = gaussian(new Shape(1, 2, 16, 16, 16), 200 + i).toType(DataType.FLOAT32, false);
            NDArray fa = conv.forward(ps, new NDList(a), false).singletonOrThrow(), fb = conv.forward(ps, new NDList(b), false).singletonOrThrow();
            worst = Math.max(worst, fa.sub(fb).norm().getFloat() / (double) a.sub(b).norm().getFloat());
        }
        assertTrue(worst <= c * (1 + 1e-4), "random pairs: " + worst);
    }

    /** max over a grid^3 of frequencies of the largest singular value of Σ_k W[:, :, k] e^{-i ω·k}. */
    private static double wholeSpaceNorm(double[] k, int cin, int cout, int grid) {
        double best = 0;
        double[] cos = new double[grid * 3], sin = new double[grid * 3];
        for (int p = 0; p < grid; p++) {
            for (int a = 0; a < 3; a++) {
                cos[p * 3 + a] = Math.cos(2 * Math.PI * p * a / grid);
                sin[p * 3 + a] = Math.sin(2 * Math.PI * p * a / grid);
            }
        }
        double[][] real = new double[2 * cout][2 * cin];
        for (int p = 0; p < grid; p++) {
            for (int q = 0; q < grid; q++) {
                for (int r = 0; r < grid; r++) {
                    for (int o = 0; o < cout; o++) {
                        for (int c = 0; c < cin; c++) {
                            double re = 0, im = 0;
                            for (int a = 0; a < 3; a++) {
                                for (int b = 0; b < 3; b++) {
                                    for (int e = 0; e < 3; e++) {
                                        double val = k[(((o * cin + c) * 3 + a) * 3 + b) * 3 + e];
                                        // e^{-i(θa + φb + ψe)} from the per-axis tables
                                        double ca = cos[p * 3 + a], sa = sin[p * 3 + a], cb = cos[q * 3 + b], sb = sin[q * 3 + b];
                                        double ce = cos[r * 3 + e], se = sin[r * 3 + e];
                                        double cab = ca * cb - sa * sb, sab = sa * cb + ca * sb;
                                        double ct = cab * ce - sab * se, st = sab * ce + cab * se;
                                        re += val * ct;
                                        im -= val * st;
                                    }
                                }
                            }
                            real[o][c] = re;
                            real[o][c + cin] = -im;
                            real[o + cout][c] = im;
                            real[o + cout][c + cin] = re;
                        }
                    }
                    best = Math.max(best, largestSingularValue(real));
                }
            }
        }
        return best;
    }

    /** Parameters and power vectors saved and loaded: the same outputs and σ̂ (the 2-D format, with 5-D vectors). */
    @Test
    void saveThenLoadReproducesOutputs() throws Exception {
        Shape xs = new Shape(2, 3, 6, 7, 8);
        SnConv3d a = SnConv3d.builder().outChannels(4).bound(0.2).normSize(6, 6, 6).build();
        a.initialize(m, DataType.FLOAT32, xs);
        SnConv3d b = SnConv3d.builder().outChannels(4).bound(0.2).normSize(6, 6, 6).seed(99).build();
        NDArray x = gaussian(xs, 31).toType(DataType.FLOAT32, false);
        ParameterStore ps = new ParameterStore(m, false);
        for (int i = 0; i < 3; i++) a.forward(ps, new NDList(x), true);
        NDArray ya = a.forward(ps, new NDList(x), false).singletonOrThrow();
        assertTrue(a.sigma() > 0.2, "normalisation active: " + a.sigma());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        a.saveParameters(new DataOutputStream(bytes));
        b.loadParameters(m, new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())));
        assertEquals(a.sigma(), b.sigma(), 0.0);
        NDArray yb = b.forward(ps, new NDList(x), false).singletonOrThrow();
        assertEquals(new Shape(2, 4, 6, 7, 8), yb.getShape());
        assertArrayEquals(ya.toFloatArray(), yb.toFloatArray(), 0f);
    }
}
