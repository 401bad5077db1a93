package io.equilibria.experiment;

import ai.djl.ndarray.NDManager;
import io.equilibria.report.Charts;
import io.equilibria.report.Charts.Series;
import io.equilibria.report.Table;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.stat.regression.SimpleRegression;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * {@code experiment single-index}: the deep-equilibrium single-index model z = tanh(θ₁ x + θ₂ z), x ~ N(0, 1),
 * target tanh(2x), minimiser (2, 0), θ = (−0.1, 0) + 0.01·N, full-batch gradient descent with exact fixed points and
 * implicit gradients. The paper proves linear convergence: log‖θ − (2, 0)‖ should fall along a straight line. The
 * linear DEQ's conserved quantity (1 − θ₂)² + θ₁² is tracked too: for a nonlinear φ it is not conserved.
 */
public final class SingleIndexExperiment {
    public record Config(int samples, int epochs, double eta, long seed) {
        public static Config defaults() { return new Config(1000, 400, 0.1, 42); }
    }

    private SingleIndexExperiment() {}

    public static Map<String, Object> run(NDManager manager, Config c, Path out) {
        Random r = new Random(c.seed());
        double[][] xs = new double[c.samples()][1], ts = new double[c.samples()][1];
        for (int i = 0; i < c.samples(); i++) {
            xs[i][0] = r.nextGaussian();
            ts[i][0] = Math.tanh(2 * xs[i][0]);
        }
        RealMatrix w0 = new Array2DRowRealMatrix(new double[][] {{0.01 * r.nextGaussian()}});
        RealMatrix u0 = new Array2DRowRealMatrix(new double[][] {{-0.1 + 0.01 * r.nextGaussian()}});
        GradientFlowStudy study = new GradientFlowStudy(manager, GradientFlowStudy.Activation.TANH,
                new Array2DRowRealMatrix(xs, false), new Array2DRowRealMatrix(ts, false), w0, u0);
        Table t = new Table("epoch", "loss", "theta_1", "theta_2", "distance_to_2_0", "log_distance", "linear_Q",
                "forward_iterations", "backward_iterations");
        study.train(c.epochs(), c.eta(), s -> {
            double t1 = s.u().getEntry(0, 0), t2 = s.w().getEntry(0, 0);
            double d = Math.hypot(t1 - 2, t2);
            t.add(s.epoch(), s.loss(), t1, t2, d, Math.log(d), s.q().getEntry(0, 0), s.forwardIterations(), s.backwardIterations());
        });
        t.writeCsv(out.resolve("single_index.csv"));

        // linear-convergence fit over the second half (after the transient)
        double[] ep = t.column("epoch"), ld = t.column("log_distance");
        SimpleRegression fit = new SimpleRegression();
        for (int i = ep.length / 2; i < ep.length; i++) fit.addData(ep[i], ld[i]);
        double[] line = new double[ep.length];
        for (int i = 0; i < ep.length; i++) line[i] = Math.exp(fit.predict(ep[i]));

        new Charts.Plot("Single-index DEQ: distance to the minimiser (2, 0)", "epoch", "‖θ - (2, 0)‖ (log scale)").logY()
                .add(Series.line("gradient descent", ep, t.column("distance_to_2_0")))
                .add(Series.line(String.format(java.util.Locale.ROOT, "linear fit, rate %.4f per epoch", -fit.getSlope()), ep, line))
                .writePng(out.resolve("log_distance.png"));
        new Charts.Plot("Single-index DEQ: parameters", "epoch", "value")
                .add(Series.line("θ₁", ep, t.column("theta_1")))
                .add(Series.line("θ₂", ep, t.column("theta_2")))
                .writePng(out.resolve("parameters.png"));
        new Charts.Plot("The linear DEQ's Q = (1-θ₂)² + θ₁² is not conserved here", "epoch", "Q")
                .add(Series.line("Q", ep, t.column("linear_Q")))
                .writePng(out.resolve("q_not_conserved.png"));

        Map<String, Object> summary = new LinkedHashMap<>();
        summary.put("final_theta", new double[] {t.column("theta_1")[ep.length - 1], t.column("theta_2")[ep.length - 1]});
        summary.put("final_distance", t.column("distance_to_2_0")[ep.length - 1]);
        summary.put("final_loss", t.column("loss")[ep.length - 1]);
        summary.put("log_distance_slope_second_half", fit.getSlope());
        summary.put("log_distance_fit_r2_second_half", fit.getRSquare());
        double[] q = t.column("linear_Q");
        summary.put("linear_Q_start_end", new double[] {q[0], q[q.length - 1]});
        return summary;
    }
}
