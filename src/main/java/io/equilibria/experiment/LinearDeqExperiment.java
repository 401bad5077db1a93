package io.equilibria.experiment;

import ai.djl.ndarray.NDManager;
import io.equilibria.report.Charts;
import io.equilibria.report.Charts.Series;
import io.equilibria.report.Table;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * {@code experiment linear-deq}: the conservation law of linear DEQs under gradient descent.
 * <ul>
 *   <li>scalar: z = θ_y z + θ_x x, x ~ U(0, 1), n samples, target 2x, θ = (0, 1) + 0.1·N(0, I), so training starts
 *       next to the singular point θ_y = 1; Q = (1 − θ_y)² + θ_x²;</li>
 *   <li>matrix: z ∈ R^d, x ∈ R^p, x ~ N(0, I), target A x with a random A, ‖W₀‖ = 0.5, U₀ = 0.1·N;
 *       Q = M Mᵀ + U Uᵀ.</li>
 * </ul>
 * Per step it checks ΔQ = η²(G_W G_Wᵀ + G_U G_Uᵀ) (the largest entry of the difference, "identity error"), and a
 * sweep over η at a fixed training time η·epochs shows the total drift of Q vanishing in proportion to η.
 */
public final class LinearDeqExperiment {
    public record Config(int samples, int epochs, double eta, int dim, int inputs, int matrixEpochs, double matrixEta, long seed) {
        public static Config defaults() { return new Config(1000, 200, 0.01, 4, 3, 1500, 0.01, 42); }
    }

    private LinearDeqExperiment() {}

    public static Map<String, Object> run(NDManager manager, Config c, Path out) {
        Map<String, Object> summary = new LinkedHashMap<>();
        Random r = new Random(c.seed());
        // scalar problem
        double[][] xs = new double[c.samples()][1], ts = new double[c.samples()][1];
        for (int i = 0; i < c.samples(); i++) {
            xs[i][0] = r.nextDouble();
            ts[i][0] = 2 * xs[i][0];
        }
        RealMatrix x1 = new Array2DRowRealMatrix(xs, false), t1 = new Array2DRowRealMatrix(ts, false);
        RealMatrix w1 = new Array2DRowRealMatrix(new double[][] {{1 + 0.1 * r.nextGaussian()}});
        RealMatrix u1 = new Array2DRowRealMatrix(new double[][] {{0.1 * r.nextGaussian()}});
        // matrix problem
        RealMatrix xm = GradientFlowStudy.gaussian(r, c.samples(), c.inputs(), 1);
        RealMatrix a = GradientFlowStudy.gaussian(r, c.dim(), c.inputs(), 1);
        RealMatrix tm = xm.multiply(a.transpose());
        RealMatrix w0 = GradientFlowStudy.gaussian(r, c.dim(), c.dim(), 1);
        w0 = w0.scalarMultiply(0.5 / new org.apache.commons.math3.linear.SingularValueDecomposition(w0).getNorm());
        RealMatrix u0 = GradientFlowStudy.gaussian(r, c.dim(), c.inputs(), 0.1);

        Table scalar = new Table("epoch", "loss", "theta_x", "theta_y", "Q", "identity_error", "distance_to_minimiser",
                "forward_iterations", "backward_iterations");
        double[] worst = new double[2];
        trace(manager, x1, t1, w1, u1, c.epochs(), c.eta(), (s, err) -> {
            double th = s.u().getEntry(0, 0), ty = s.w().getEntry(0, 0), q = s.q().getEntry(0, 0);
            // minimisers on the circle Q: θ_x = 2(1 − θ_y)  ⇒  (θ_x, θ_y) = (2s, 1 − s) with 5 s² = Q
            double sm = Math.sqrt(q / 5);
            double dist = Math.min(Math.hypot(th - 2 * sm, ty - (1 - sm)), Math.hypot(th + 2 * sm, ty - (1 + sm)));
            scalar.add(s.epoch(), s.loss(), th, ty, q, err, dist, s.forwardIterations(), s.backwardIterations());
            worst[0] = Math.max(worst[0], Double.isNaN(err) ? 0 : err);
        });
        scalar.writeCsv(out.resolve("scalar.csv"));

        Table matrix = new Table("epoch", "loss", "trace_Q", "Q_change_from_start", "identity_error", "end_to_end_error",
                "forward_iterations", "backward_iterations");
        RealMatrix q0 = GradientFlowStudy.q(w0, u0);
        trace(manager, xm, tm, w0, u0, c.matrixEpochs(), c.matrixEta(), (s, err) -> {
            double e2e = GradientFlowStudy.endToEnd(s.w(), s.u()).subtract(a).getFrobeniusNorm();
            matrix.add(s.epoch(), s.loss(), s.q().getTrace(), s.q().subtract(q0).getFrobeniusNorm(), err, e2e,
                    s.forwardIterations(), s.backwardIterations());
            worst[1] = Math.max(worst[1], Double.isNaN(err) ? 0 : err);
        });
        matrix.writeCsv(out.resolve("matrix.csv"));

        // drift of Q against eta at fixed training time eta * epochs
        Table drift = new Table("case", "eta", "epochs", "drift", "predicted_drift", "drift_over_eta");
        // eta = f * eta0 for `sweepEpochs / f` epochs: the same training time eta0 * sweepEpochs for every f
        double[] factors = {2, 1, 0.5, 0.25, 0.125};
        int sweepEpochs = Math.max(2, Math.min(100, Math.min(c.epochs(), c.matrixEpochs()) / 2));
        for (int k = 0; k < 2; k++) {
            boolean isScalar = k == 0;
            double eta0 = isScalar ? c.eta() : c.matrixEta();
            for (double f : factors) {
                double eta = eta0 * f;
                int epochs = (int) Math.round(sweepEpochs / f);
                RealMatrix[] end = new RealMatrix[1];
                RealMatrix qStart = isScalar ? GradientFlowStudy.q(w1, u1) : q0;
                double[] predicted = {0};
                GradientFlowStudy study = isScalar ? new GradientFlowStudy(manager, GradientFlowStudy.Activation.IDENTITY, x1, t1, w1, u1)
                        : new GradientFlowStudy(manager, GradientFlowStudy.Activation.IDENTITY, xm, tm, w0, u0);
                RealMatrix[] acc = {null};
                study.train(epochs, eta, s -> {
                    RealMatrix p = s.gw().multiply(s.gw().transpose()).add(s.gu().multiply(s.gu().transpose())).scalarMultiply(eta * eta);
                    acc[0] = acc[0] == null ? p : acc[0].add(p);
                });
                end[0] = GradientFlowStudy.q(study.w(), study.u());
                double d = end[0].subtract(qStart).getFrobeniusNorm();
                predicted[0] = acc[0].getFrobeniusNorm();
                drift.add(k, eta, epochs, d, predicted[0], d / eta);
            }
        }
        drift.writeCsv(out.resolve("drift.csv"));
        plots(out, scalar, matrix, drift);

        summary.put("scalar_max_identity_error", worst[0]);
        summary.put("matrix_max_identity_error", worst[1]);
        summary.put("scalar_final", Map.of("theta_x", last(scalar, "theta_x"), "theta_y", last(scalar, "theta_y"),
                "loss", last(scalar, "loss"), "Q_start", scalar.column("Q")[0], "Q_end", last(scalar, "Q")));
        summary.put("matrix_final", Map.of("loss", last(matrix, "loss"), "end_to_end_error", last(matrix, "end_to_end_error"),
                "Q_change", last(matrix, "Q_change_from_start")));
        double[] dOverEta = drift.column("drift_over_eta");
        summary.put("drift_over_eta_scalar", java.util.Arrays.copyOfRange(dOverEta, 0, factors.length));
        summary.put("drift_over_eta_matrix", java.util.Arrays.copyOfRange(dOverEta, factors.length, 2 * factors.length));
        return summary;
    }

    interface StepSink { void accept(GradientFlowStudy.Step s, double identityError); }

    /** Trains and reports each step with the identity error of the step that follows it (NaN for the last). */
    static void trace(NDManager manager, RealMatrix x, RealMatrix t, RealMatrix w0, RealMatrix u0, int epochs, double eta, StepSink sink) {
        GradientFlowStudy study = new GradientFlowStudy(manager, GradientFlowStudy.Activation.IDENTITY, x, t, w0, u0);
        study.train(epochs, eta, s -> {
            RealMatrix qAfter = GradientFlowStudy.q(s.w().subtract(s.gw().scalarMultiply(eta)), s.u().subtract(s.gu().scalarMultiply(eta)));
            RealMatrix predicted = s.gw().multiply(s.gw().transpose()).add(s.gu().multiply(s.gu().transpose())).scalarMultiply(eta * eta);
            sink.accept(s, GradientFlowStudy.maxAbs(qAfter.subtract(s.q()).subtract(predicted)));
        });
    }

    private static double last(Table t, String col) {
        double[] v = t.column(col);
        return v[v.length - 1];
    }

    private static void plots(Path out, Table scalar, Table matrix, Table drift) {
        double[] q = scalar.column("Q");
        double[] dq = new double[q.length];
        for (int i = 0; i < q.length; i++) dq[i] = Math.abs(q[i] - q[0]);
        new Charts.Plot("Conserved quantity: |Q(t) - Q(0)|", "epoch", "|Q - Q0|").logY()
                .add(Series.line("scalar: Q = (1-θy)² + θx²", scalar.column("epoch"), dq))
                .add(Series.line("matrix: ‖MMᵀ+UUᵀ - Q0‖_F", matrix.column("epoch"), matrix.column("Q_change_from_start")))
                .writePng(out.resolve("conserved.png"));
        new Charts.Plot("Per-step identity error |ΔQ - η²(G_W G_Wᵀ + G_U G_Uᵀ)|", "epoch", "max abs error").logY()
                .add(Series.line("scalar", scalar.column("epoch"), scalar.column("identity_error")))
                .add(Series.line("matrix", matrix.column("epoch"), matrix.column("identity_error")))
                .writePng(out.resolve("identity_error.png"));
        new Charts.Plot("Distance to the minimiser", "epoch", "distance").logY()
                .add(Series.line("scalar: to nearest minimiser on the Q-circle", scalar.column("epoch"), scalar.column("distance_to_minimiser")))
                .add(Series.line("matrix: ‖(I-W)⁻¹U - A‖_F", matrix.column("epoch"), matrix.column("end_to_end_error")))
                .writePng(out.resolve("distance.png"));
        Charts.Plot p = new Charts.Plot("Total drift of Q at fixed training time η·epochs", "η", "‖Q_end - Q_0‖").logX().logY();
        double[] cases = drift.column("case"), eta = drift.column("eta"), d = drift.column("drift");
        for (int k = 0; k < 2; k++) {
            final int kk = k;
            int[] idx = java.util.stream.IntStream.range(0, cases.length).filter(i -> cases[i] == kk).toArray();
            double[] ex = java.util.Arrays.stream(idx).mapToDouble(i -> eta[i]).toArray();
            double[] dy = java.util.Arrays.stream(idx).mapToDouble(i -> d[i]).toArray();
            p.add(Series.points(k == 0 ? "scalar" : "matrix", ex, dy));
            double[] ref = java.util.Arrays.stream(ex).map(e -> dy[0] * e / ex[0]).toArray();
            p.add(Series.line((k == 0 ? "scalar" : "matrix") + ": slope 1 reference", ex, ref));
        }
        p.writePng(out.resolve("drift.png"));
        new Charts.Plot("Scalar linear DEQ: gradient-descent path (θx, θy)", "θx", "θy")
                .add(Series.line("path", scalar.column("theta_x"), scalar.column("theta_y")))
                .writePng(out.resolve("trajectory.png"));
    }
}
