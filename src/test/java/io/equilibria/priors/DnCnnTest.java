package io.equilibria.priors;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.equilibria.TestSupport;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Tensors;
import io.equilibria.image.Plane;
import io.equilibria.nn.SnConv2d;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DnCnnTest {
    private NDManager m;

    @BeforeEach
    void open() {
        m = TestSupport.manager().newSubManager();
    }

    @AfterEach
    void close() {
        m.close();
    }

    private DnCnn small(int depth, int width, double bound, int normSize) {
        DnCnn net = new DnCnn(DnCnn.Config.defaults().withDepth(depth).withWidth(width).withBound(bound).withNormSize(normSize).withSeed(3));
        net.initialize(m);
        return net;
    }

    private NDArray sigmas(float... s) {
        return m.create(s);
    }

    @Test
    void outputHasTheInputShapeAndIsTheInputMinusTheNetwork() {
        DnCnn net = small(3, 4, 1.0, 16);
        NDArray x = TestSupport.random(m, new Shape(2, 1, 16, 12), 1).mul(0.1).add(0.5);
        NDArray d = net.denoise(x, sigmas(0.05f, 0.1f));
        assertEquals(x.getShape(), d.getShape());
        assertArrayEquals(x.sub(net.residual(x, sigmas(0.05f, 0.1f))).toFloatArray(), d.toFloatArray(), 1e-6f);
        // the noise map is an input: another sigma, another output
        assertNotEquals(0f, d.sub(net.denoise(x, sigmas(0.2f, 0.3f))).abs().max().getFloat());
        // with the last layer zeroed the network outputs nothing and D is the identity: D = x - R(x)
        SnConv2d last = net.convolutions().get(2);
        for (Pair<String, Parameter> p : last.getParameters()) Autograd.noGrad(() -> p.getValue().getArray().muli(0));
        assertArrayEquals(x.toFloatArray(), net.denoise(x, sigmas(0.05f, 0.1f)).toFloatArray(), 0f);
        // one sigma for the whole batch is accepted too; a wrong count is not
        assertEquals(x.getShape(), net.denoise(x, sigmas(0.05f)).getShape());
        assertThrows(IllegalArgumentException.class, () -> net.denoise(x, sigmas(0.1f, 0.1f, 0.1f)));
    }

    @Test
    void countsParametersAndFlops() {
        DnCnn net = small(4, 6, 1.0, 16);
        long n = 0;
        for (Pair<String, Parameter> p : net.getParameters()) n += p.getValue().getArray().size();
        assertEquals(n, net.parameterCount());
        assertEquals(net.expectedParameterShapes(), net.parameterShapes());
        // convs: 9 (2*6 + 2*6*6 + 6*1) multiply-adds per pixel
        assertEquals(2 * 9 * (12 + 72 + 6) + 3 * 6 * 2 + 1, net.flopsPerPixel(), 1e-9);
        assertEquals(56385, new DnCnn().parameterCount(), "8 x 32 default");
        assertTrue(net.describe().contains("depth 4") && net.describe().contains("width 6"), net.describe());
    }

    /** ‖R(a) − R(b)‖ ≤ c^depth ‖a − b‖ for random pairs and along the Jacobian's top singular direction. */
    @Test
    void residualMapRespectsItsLipschitzBound() {
        double c = 0.9;
        int depth = 4;
        DnCnn net = small(depth, 8, c, 16);
        net.scaleKernelsToBound(500); // every layer exactly at the cap: the bound is as tight as it can be
        double bound = net.residualLipschitzBound();
        assertEquals(Math.pow(c, depth), bound, 1e-12);
        assertEquals(1 + bound, net.lipschitzBound(), 1e-12);
        NDArray sigma = sigmas(0.05f);
        Random r = new Random(7);
        double worst = 0, worstD = 0;
        for (int k = 0; k < 20; k++) {
            NDArray a = TestSupport.random(m, new Shape(1, 1, 16, 16), 100 + k).mul(0.3).add(0.5);
            NDArray b = a.add(TestSupport.random(m, new Shape(1, 1, 16, 16), 200 + k).mul(r.nextDouble() < 0.5 ? 1e-2 : 0.3));
            double dist = Tensors.norm(a.sub(b));
            worst = Math.max(worst, Tensors.norm(net.residual(a, sigma).sub(net.residual(b, sigma))) / dist);
            worstD = Math.max(worstD, Tensors.norm(net.denoise(a, sigma).sub(net.denoise(b, sigma))) / dist);
        }
        double local = jacobianNorm(net, TestSupport.random(m, new Shape(1, 1, 16, 16), 300).mul(0.3).add(0.5), sigma);
        System.out.printf("residual Lipschitz bound %.4f: random pairs %.4f, Jacobian norm %.4f; D: %.4f <= %.4f%n",
                bound, worst, local, worstD, net.lipschitzBound());
        assertTrue(worst <= bound * (1 + 1e-4), "pairs " + worst + " > " + bound);
        assertTrue(local <= bound * (1 + 1e-3), "Jacobian " + local + " > " + bound);
        assertTrue(worstD <= net.lipschitzBound() * (1 + 1e-4));
        assertTrue(net.estimatedResidualLipschitz() <= bound * (1 + 1e-6));
    }

    /** Power iteration on JᵀJ of the residual at x: J v by finite differences (exact on ReLU pieces), Jᵀ u by autograd. */
    private double jacobianNorm(DnCnn net, NDArray x, NDArray sigma) {
        NDArray v = TestSupport.random(m, x.getShape(), 9);
        v = v.div(Tensors.norm(v));
        double s = 0;
        for (int i = 0; i < 30; i++) {
            double eps = 1e-3;
            NDArray jv = net.residual(x.add(v.mul(eps)), sigma).sub(net.residual(x, sigma)).div(eps);
            s = Tensors.norm(jv);
            NDArray u = jv.div(s);
            NDArray leaf = Autograd.leaf(x);
            NDArray jtu = Autograd.recording(() -> {
                NDArray y = net.residual(leaf, sigma);
                Autograd.backward(y, u, false, false);
                return leaf.getGradient().duplicate();
            });
            v = jtu.div(Tensors.norm(jtu));
        }
        return s;
    }

    @Test
    void inferenceLeavesThePowerVectorsAlone() {
        DnCnn net = small(3, 4, 1.0, 16);
        NDArray x = TestSupport.random(m, new Shape(1, 1, 16, 16), 4);
        float[] first = net.denoise(x, sigmas(0.1f)).toFloatArray();
        double[] before = net.convolutions().stream().mapToDouble(SnConv2d::sigma).toArray();
        for (int i = 0; i < 5; i++) assertArrayEquals(first, net.denoise(x, sigmas(0.1f)).toFloatArray(), 0f);
        assertArrayEquals(before, net.convolutions().stream().mapToDouble(SnConv2d::sigma).toArray(), 0.0);
        // a training forward does move them
        net.forward(new ai.djl.training.ParameterStore(m, false), new NDList(x, sigmas(0.1f)), true);
        assertNotEquals(before[0], net.convolutions().get(0).sigma());
    }

    @Test
    void noiseLevelEstimatesGaussianNoise() {
        Random r = new Random(5);
        float[] d = new float[128 * 128];
        Plane clean = TestSupport.scene(128, 128);
        for (int i = 0; i < d.length; i++) d[i] = clean.data()[i] + (float) (0.05 * r.nextGaussian());
        Plane noisy = new Plane(128, 128, d);
        assertEquals(0.05, NoiseLevel.estimate(noisy), 0.005);
        assertEquals(0.02, NoiseLevel.resolve(0.02, noisy), 0.0);
        assertEquals(NoiseLevel.FLOOR, NoiseLevel.estimate(Plane.zeros(16, 16)), 0.0);
        NDArray batch = m.create(d, new Shape(1, 1, 128, 128));
        assertEquals(NoiseLevel.estimate(noisy), NoiseLevel.estimate(batch).getFloat(0), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> NoiseLevel.resolve(-1.0, noisy));
    }
}
