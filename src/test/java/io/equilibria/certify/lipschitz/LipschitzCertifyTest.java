package io.equilibria.certify.lipschitz;

import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LipschitzCertifyTest {

    static RealMatrix randn(Random r, int rows, int cols, double sd) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) for (int j = 0; j < cols; j++) row[j] = sd * r.nextGaussian();
        return new Array2DRowRealMatrix(a, false);
    }

    static double[] randv(Random r, int n, double sd) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = sd * r.nextGaussian();
        return v;
    }

    static Lben randomLben(Random r, int n, int d, int p, double gamma) {
        return Lben.direct(randn(r, n, n, 0.5), randn(r, n, n, 0.5), randv(r, n, 0.5), randn(r, n, d, 1.0),
                randv(r, n, 0.5), randn(r, p, n, 1.0), randv(r, p, 0.5), 1e-2, gamma);
    }

    static double maxAbsDiff(double[] a, double[] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
        return m;
    }

    @Test
    void lmiHoldsForRandomDirectlyParameterisedLbens() {
        Random r = new Random(1);
        double worst = Double.POSITIVE_INFINITY;
        for (int t = 0; t < 20; t++) {
            Lben m = randomLben(r, 4 + r.nextInt(12), 1 + r.nextInt(6), 1 + r.nextInt(4), 0.1 + 5 * r.nextDouble());
            worst = Math.min(worst, m.lmiMargin());
        }
        System.out.println("LBEN direct: worst LMI margin over 20 random models = " + worst);
        assertTrue(worst >= -1e-9, "LMI margin " + worst);
    }

    @Test
    void lmiFailsWhenBoundTooSmall() {
        // a direct model for gamma=2 claimed at gamma=0.01 must (generically) violate the LMI
        Random r = new Random(2);
        Lben m = randomLben(r, 8, 4, 3, 2.0);
        Lben wrong = new Lben(m.w(), m.u(), new double[8], m.g(), new double[3], m.lambda(), 0.01, null);
        assertTrue(wrong.lmiMargin() < -1e-3, "margin " + wrong.lmiMargin());
    }

    @Test
    void equilibriumResidualBelow1e10() {
        Random r = new Random(3);
        double worst = 0;
        int maxIt = 0;
        for (int t = 0; t < 10; t++) {
            Lben m = randomLben(r, 12, 5, 3, 1.0);
            for (int k = 0; k < 5; k++) {
                double[] x = randv(r, 5, 2.0);
                double[] z = m.equilibrium(x);
                worst = Math.max(worst, m.residual(x, z));
                maxIt = Math.max(maxIt, m.lastIterations());
            }
        }
        System.out.println("LBEN PR: worst residual " + worst + ", max iterations " + maxIt);
        assertTrue(worst <= 1e-10, "residual " + worst);
    }

    @Test
    void empiricalLipschitzNeverAboveGamma() {
        Random r = new Random(4);
        double worstRel = 0;
        for (int t = 0; t < 4; t++) {
            double gamma = 0.5 + 2 * r.nextDouble();
            Lben m = randomLben(r, 8, 3, 2, gamma);
            double emp = Certificates.empiricalLipschitz(m::forward, 3, 8, 150, 100 + t);
            worstRel = Math.max(worstRel, emp / gamma);
            assertTrue(emp <= gamma * (1 + 1e-9), "empirical " + emp + " > gamma " + gamma);
        }
        System.out.println("LBEN: largest empirical ratio / gamma = " + worstRel);
        assertTrue(worstRel > 0.05, "search found nothing: " + worstRel);
    }

    static MonDeq randomMonDeq(Random r, int n, int d, int p) {
        return new MonDeq(randn(r, n, n, 0.3), randn(r, n, n, 0.3), 0.5, randn(r, n, d, 1.0), randv(r, n, 0.5),
                randn(r, p, n, 1.0), randv(r, p, 0.5));
    }

    @Test
    void monDeqSolversAgree() {
        Random r = new Random(5);
        double worst = 0;
        for (int t = 0; t < 5; t++) {
            MonDeq m = randomMonDeq(r, 10, 4, 3);
            double alpha = 0.9 * m.maxForwardBackwardStep();
            for (int k = 0; k < 3; k++) {
                double[] x = randv(r, 4, 2.0);
                double[] zf = m.solveForwardBackward(x, Math.min(1, alpha), 1e-13, 2_000_000);
                double[] zp = m.solvePeacemanRachford(x, 1.0, 1e-13, 200_000);
                worst = Math.max(worst, maxAbsDiff(zf, zp));
                assertTrue(m.residual(x, zp) <= 1e-10);
                assertTrue(m.residual(x, zf) <= 1e-10);
            }
        }
        System.out.println("MonDEQ: FB vs PR max |diff| = " + worst);
        assertTrue(worst <= 1e-9, "FB vs PR " + worst);
    }

    @Test
    void monDeqAsLbenSameOutputLmiAndBound() {
        Random r = new Random(6);
        MonDeq md = randomMonDeq(r, 8, 3, 2);
        Lben l = md.toLben();
        assertEquals(md.lipschitzBound(), l.gamma(), 1e-12);
        double margin = l.lmiMargin();
        System.out.println("MonDEQ->LBEN: gamma = " + l.gamma() + ", LMI margin = " + margin);
        assertTrue(margin >= -1e-9, "margin " + margin);
        for (int k = 0; k < 5; k++) {
            double[] x = randv(r, 3, 2.0);
            assertTrue(maxAbsDiff(md.forward(x), l.forward(x)) <= 1e-10);
        }
        double emp = Certificates.empiricalLipschitz(md::forward, 3, 6, 150, 7);
        System.out.println("MonDEQ: empirical ratio " + emp + " <= bound " + l.gamma());
        assertTrue(emp <= l.gamma() * (1 + 1e-9));
    }

    static Sll randomSll(Random r, int d, int depth, int p) { return randomSll(r, d, depth, p, false); }

    static Sll randomSll(Random r, int d, int depth, int p, boolean cplToo) {
        List<Sll.Layer> layers = new ArrayList<>();
        for (int k = 0; k < depth; k++) {
            int h = 2 + r.nextInt(6);
            double[] q = new double[h];
            for (int i = 0; i < h; i++) q[i] = Math.exp(0.5 * r.nextGaussian());
            layers.add(k % 2 == 1 && cplToo ? Sll.Layer.cpl(randn(r, d, h, 1.0), randv(r, h, 0.5))
                    : Sll.Layer.sll(randn(r, d, h, 1.0), randv(r, h, 0.5), q));
        }
        return new Sll(layers, randn(r, p, d, 1.0), randv(r, p, 0.5));
    }

    @Test
    void sllToLbenIsExact() {
        Random r = new Random(8);
        double worstDiff = 0, worstMargin = Double.POSITIVE_INFINITY;
        for (int t = 0; t < 6; t++) {
            Sll s = randomSll(r, 3 + r.nextInt(4), 1 + r.nextInt(4), 1 + r.nextInt(3), t % 2 == 1);
            Lben l = s.toLben();
            worstMargin = Math.min(worstMargin, l.lmiMargin());
            int d = l.inputDim();
            for (int k = 0; k < 10; k++) {
                double[] x = randv(r, d, 2.0);
                worstDiff = Math.max(worstDiff, maxAbsDiff(s.forward(x), l.forward(x)));
            }
        }
        System.out.println("SLL->LBEN: max |y_sll - y_lben| = " + worstDiff + ", worst LMI margin = " + worstMargin);
        assertTrue(worstDiff <= 1e-10, "diff " + worstDiff);
        assertTrue(worstMargin >= -1e-9, "margin " + worstMargin);
    }

    @Test
    void sllEmpiricalLipschitzBelowBound() {
        Random r = new Random(9);
        Sll s = randomSll(r, 4, 3, 3, true);
        double emp = Certificates.empiricalLipschitz(s::forward, 4, 8, 200, 10);
        System.out.println("SLL: empirical " + emp + " <= ||F|| " + s.lipschitzBound());
        assertTrue(emp <= s.lipschitzBound() * (1 + 1e-9));
    }

    @Test
    void radiusHandExample() {
        // logits (3, 1, 2.5), L = 2: margin 0.5, radius 0.5 / (2 sqrt 2) = 0.1767767
        assertEquals(0.5 / (2 * Math.sqrt(2)), Certificates.certifiedRadius(new double[] {3, 1, 2.5}, 2), 1e-15);
        assertEquals(0.17677669529663687, Certificates.certifiedRadius(new double[] {3, 1, 2.5}, 2), 1e-15);
        assertEquals(0, Certificates.certifiedRadius(new double[] {1, 1}, 1), 0);
        assertEquals(0, Certificates.argmax(new double[] {3, 1, 2.5}));
    }

    static double maxAbs(RealMatrix a) {
        double m = 0;
        for (double[] row : a.getData()) for (double v : row) m = Math.max(m, Math.abs(v));
        return m;
    }

    @Test
    void convertedModelsLieInTheDirectParameterisation() {
        Random r = new Random(11);
        List<Lben> models = new ArrayList<>();
        for (int t = 0; t < 3; t++) models.add(randomSll(r, 3 + t, 1 + t, 2).toLben());
        for (int t = 0; t < 3; t++) models.add(randomMonDeq(r, 6 + t, 3, 2).toLben());
        models.add(randomLben(r, 7, 3, 2, 1.5));
        double worstW = 0, worstNeg = 0;
        for (Lben l : models) {
            Lben.DirectParameters p = l.toDirect();
            worstNeg = Math.min(worstNeg, p.eps());
            Lben.DirectParameters p0 = new Lben.DirectParameters(p.v(), p.s(), p.psi(), p.u(), p.b(), p.g(), p.by(),
                    0.0, p.gamma());
            Lben back = Lben.direct(p0, l.linear());
            worstW = Math.max(worstW, maxAbs(back.w().subtract(l.w())));
        }
        System.out.println("toDirect round trip: max |W' - W| = " + worstW + ", most negative eig of sym M = " + worstNeg);
        assertTrue(worstW <= 1e-10, "W round trip " + worstW);
        assertTrue(worstNeg >= -1e-9, "sym M not PSD: " + worstNeg);
    }

    @Test
    void searchFindsTheNormOfALinearMap() {
        // negative control for the adversarial search: for y = Gx the true constant is ‖G‖₂
        Random r = new Random(12);
        RealMatrix g = randn(r, 3, 5, 1.0);
        double norm = new org.apache.commons.math3.linear.SingularValueDecomposition(g).getNorm();
        double emp = Certificates.empiricalLipschitz(g::operate, 5, 8, 300, 13);
        System.out.println("search on linear map: " + emp + " vs ||G|| " + norm);
        assertTrue(emp >= 0.99 * norm && emp <= norm * (1 + 1e-12), emp + " vs " + norm);
    }

    @Test
    void aolToLbenIsExactWithTheSameBound() {
        Random r = new Random(14);
        double worstDiff = 0, worstMargin = Double.POSITIVE_INFINITY, worstNorm = 0;
        for (int t = 0; t < 5; t++) {
            int depth = 1 + t % 3, d = 4;
            List<RealMatrix> ps = new ArrayList<>();
            List<double[]> bs = new ArrayList<>();
            int in = d;
            for (int k = 0; k < depth; k++) {
                int out = 3 + r.nextInt(4);
                ps.add(randn(r, out, in, 1.0));
                bs.add(randv(r, out, 0.5));
                in = out;
            }
            Aol aol = new Aol(ps, bs, randn(r, 3, in, 1.0), randv(r, 3, 0.5));
            for (int k = 0; k < depth; k++)
                worstNorm = Math.max(worstNorm,
                        new org.apache.commons.math3.linear.SingularValueDecomposition(aol.layer(k)).getNorm());
            Lben l = aol.toLben();
            assertEquals(aol.lipschitzBound(), l.gamma(), 0);
            worstMargin = Math.min(worstMargin, l.lmiMargin());
            for (int k = 0; k < 10; k++) {
                double[] x = randv(r, d, 2.0);
                worstDiff = Math.max(worstDiff, maxAbsDiff(aol.forward(x), l.forward(x)));
            }
        }
        System.out.println("AOL->LBEN: max |diff| = " + worstDiff + ", worst LMI margin = " + worstMargin
                + ", max |A_k| = " + worstNorm);
        assertTrue(worstNorm <= 1 + 1e-12);
        assertTrue(worstDiff <= 1e-10, "diff " + worstDiff);
        assertTrue(worstMargin >= -1e-9, "margin " + worstMargin);
    }

    @Test
    void certifiedRadiusIsNeverBrokenOnRandomLbens() {
        // inside the certified ball the label must not change: sample the sphere of radius 0.999 R
        // and also walk towards the nearest class boundary found by random search
        Random r = new Random(15);
        int checked = 0;
        double closest = Double.POSITIVE_INFINITY;
        for (int t = 0; t < 6; t++) {
            Lben m = randomLben(r, 8, 3, 4, 0.5 + r.nextDouble());
            for (int k = 0; k < 4; k++) {
                double[] x = randv(r, 3, 2.0);
                Certificates.Certified c = Certificates.certify(m::forward, m.gamma(), x);
                if (c.radius() <= 0) continue;
                for (int s = 0; s < 200; s++) {
                    double[] dir = randv(r, 3, 1.0);
                    double nrm = Math.sqrt(dir[0] * dir[0] + dir[1] * dir[1] + dir[2] * dir[2]);
                    double[] xp = new double[3];
                    for (int i = 0; i < 3; i++) xp[i] = x[i] + 0.999 * c.radius() * dir[i] / nrm;
                    double[] y = m.forward(xp);
                    assertEquals(c.label(), Certificates.argmax(y), "label flipped inside the certified ball");
                    double[] sorted = y.clone();
                    java.util.Arrays.sort(sorted);
                    closest = Math.min(closest, sorted[sorted.length - 1] - sorted[sorted.length - 2]);
                    checked++;
                }
            }
        }
        System.out.println("radius check: " + checked + " points inside certified balls, smallest margin "
                + closest);
        assertTrue(checked > 1000);
    }

    @Test
    void sandwichToLbenIsExactWithTheSameBound() {
        Random r = new Random(16);
        double worstDiff = 0, worstMargin = Double.POSITIVE_INFINITY, worstOrth = 0, worstEmp = 0;
        for (int t = 0; t < 5; t++) {
            int depth = 1 + t % 3;
            int[] dims = new int[depth + 1];
            dims[0] = 4;
            for (int k = 1; k <= depth; k++) dims[k] = 2 + r.nextInt(4);
            List<RealMatrix> xs = new ArrayList<>();
            List<double[]> psis = new ArrayList<>(), bs = new ArrayList<>();
            for (int k = 0; k < depth; k++) {
                int nk = 2 + r.nextInt(dims[k] + dims[k + 1] - 1);
                xs.add(randn(r, nk, dims[k] + dims[k + 1], 1.0));
                double[] p = new double[nk];
                for (int i = 0; i < nk; i++) p[i] = Math.exp(0.5 * r.nextGaussian());
                psis.add(p);
                bs.add(randv(r, nk, 0.5));
            }
            Sandwich sw = new Sandwich(xs, dims, psis, bs, randn(r, 3, dims[depth], 1.0), randv(r, 3, 0.5));
            worstOrth = Math.max(worstOrth, sw.orthonormalityError());
            Lben l = sw.toLben();
            assertEquals(sw.lipschitzBound(), l.gamma(), 0);
            worstMargin = Math.min(worstMargin, l.lmiMargin());
            for (int k = 0; k < 10; k++) {
                double[] x = randv(r, 4, 2.0);
                worstDiff = Math.max(worstDiff, maxAbsDiff(sw.forward(x), l.forward(x)));
            }
            worstEmp = Math.max(worstEmp, Certificates.empiricalLipschitz(sw::forward, 4, 4, 100, t) / l.gamma());
        }
        System.out.println("Sandwich->LBEN: max |diff| = " + worstDiff + ", worst LMI margin = " + worstMargin
                + ", orthonormality error " + worstOrth + ", max empirical ratio / bound " + worstEmp);
        assertTrue(worstOrth <= 1e-12);
        assertTrue(worstDiff <= 1e-10, "diff " + worstDiff);
        assertTrue(worstMargin >= -1e-9, "margin " + worstMargin);
        assertTrue(worstEmp <= 1 + 1e-9);
    }
}
