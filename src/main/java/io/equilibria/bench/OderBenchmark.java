package io.equilibria.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Tensors;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.models.ModelCache;
import io.equilibria.models.StoredModel;
import io.equilibria.physics.LinearOperator;
import io.equilibria.solvers.IterationListener;
import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.deq.DataTerm;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.reconstruct.methods.LearnedReconstruction;
import io.equilibria.reconstruct.oder.MinibatchData;
import io.equilibria.reconstruct.oder.OderSettings;
import io.equilibria.solvers.SolverOptions;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * ODER against the full-batch DEQ-RED on the same inputs and model, in one run (issue 5's targets). Per problem:
 * <ul>
 *   <li>the measurement operator's cost per iteration: the median time of the data term's gradient with a
 *       minibatch of B blocks over the full batch's (and B/I, what it should be), and the denoiser's time for scale;</li>
 *   <li>the full-batch DEQ (Anderson, the CLI default), the full-batch map with ODER's own solver (Nesterov, B = I) and
 *       ODER (B of I): final PSNR, iterations, time, and the time each needs to come within 0.5 dB of the full-batch
 *       DEQ's final PSNR (PSNR is evaluated after every iteration; that evaluation's time is not counted).</li>
 * </ul>
 */
public final class OderBenchmark {
    /** A measurement problem: operator with I blocks, data, truth (field of view, [0, 1]) and per-block noise σ. */
    public record Problem(String name, LinearOperator a, NDArray y, Plane truth, double sigma, boolean cs) {}

    /** One method's run: final PSNR, iterations, seconds, and seconds until within 0.5 dB of the reference PSNR. */
    public record Run(String method, double psnr, int iterations, double seconds, double[] times, double[] psnrs) {
        /** Seconds until PSNR first reaches {@code target} (NaN if never). */
        public double timeTo(double target) {
            for (int i = 0; i < psnrs.length; i++) if (psnrs[i] >= target) return times[i];
            return psnr >= target ? seconds : Double.NaN;
        }
    }

    /** The summary of one problem. */
    public record Row(String scenario, String image, int blocks, int batch, double dataFull, double dataMini, double denoiser,
                      Run deq, Run nesterovFull, Run oder) {
        public double costRatio() { return dataMini / dataFull; }
        public double psnrGap() { return oder.psnr() - deq.psnr(); }
        public double timeRatio() { return oder.timeTo(deq.psnr() - 0.5) / deq.seconds(); }
    }

    private final NDManager m;
    private final PrintStream out;
    public final List<Row> rows = new ArrayList<>();

    public OderBenchmark(NDManager m, PrintStream out) {
        this.m = m;
        this.out = out;
    }

    /** Runs and prints one scenario over its problems with the given model and ODER settings. */
    public void scenario(String title, List<Problem> problems, String model, OderSettings oder) {
        out.println();
        out.println("### " + title);
        out.println();
        out.println("Model " + model + "; ODER " + oder.batch() + " of " + problems.get(0).a().blockCount() + " blocks per iteration ("
                + oder.sampling() + ", " + oder.scaling() + " scaling, " + oder.solverSpec() + ", safe step). "
                + "Data term and denoiser times: median of 7 calls. t(−0.5 dB): seconds until the PSNR is within 0.5 dB of "
                + "the full-batch DEQ's final PSNR; the ratio is over the full-batch DEQ's total time.");
        out.println();
        out.println("| image | data term: full ms | B-block ms | ratio (B/I) | denoiser ms | DEQ (Anderson) dB / it / s | "
                + "full batch, Nesterov dB / it / s | ODER dB / it / s | ODER − DEQ dB | ODER t(−0.5 dB) s | ÷ DEQ time |");
        out.println("|---|---|---|---|---|---|---|---|---|---|---|");
        for (Problem p : problems) {
            Row r = run(title, p, model, oder);
            rows.add(r);
            int i = p.a().blockCount();
            out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.2f (%.2f) | %.1f | %.2f / %d / %.1f | %.2f / %d / %.1f | %.2f / %d / %.1f | %+.2f | %.1f | %.2f |%n",
                    p.name(), 1e3 * r.dataFull(), 1e3 * r.dataMini(), r.costRatio(), (double) oder.batch() / i, 1e3 * r.denoiser(),
                    r.deq().psnr(), r.deq().iterations(), r.deq().seconds(),
                    r.nesterovFull().psnr(), r.nesterovFull().iterations(), r.nesterovFull().seconds(),
                    r.oder().psnr(), r.oder().iterations(), r.oder().seconds(), r.psnrGap(),
                    r.oder().timeTo(r.deq().psnr() - 0.5), r.timeRatio());
            out.flush();
        }
        List<Row> mine = rows.stream().filter(r -> r.scenario().equals(title)).toList();
        double cost = mine.stream().mapToDouble(Row::costRatio).average().orElse(Double.NaN);
        double gap = mine.stream().mapToDouble(Row::psnrGap).average().orElse(Double.NaN);
        double worstGap = mine.stream().mapToDouble(Row::psnrGap).min().orElse(Double.NaN);
        double time = mine.stream().mapToDouble(Row::timeRatio).average().orElse(Double.NaN);
        double perIter = mine.stream().mapToDouble(r -> (r.oder().seconds() / r.oder().iterations())
                / (r.nesterovFull().seconds() / r.nesterovFull().iterations())).average().orElse(Double.NaN);
        double vsNesterov = mine.stream().mapToDouble(r -> r.oder().timeTo(r.deq().psnr() - 0.5)
                / r.nesterovFull().timeTo(r.deq().psnr() - 0.5)).average().orElse(Double.NaN);
        double iterShare = mine.stream().mapToDouble(r -> r.dataFull() / (r.dataFull() + r.denoiser())).average().orElse(Double.NaN);
        out.println();
        out.printf(Locale.ROOT, "Mean: operator cost ratio %.2f (B/I = %.2f); ODER − DEQ %.2f dB (worst %.2f; target ≥ −0.3: %s); "
                        + "time to within 0.5 dB ÷ full-batch time %.2f (target ≤ 0.6: %s). The full data term is %.0f%% of one "
                        + "full-batch iteration's data + denoiser time, so a B/I cut of it can save at most %.0f%% per iteration.%n",
                cost, (double) oder.batch() / problems.get(0).a().blockCount(), gap, worstGap, worstGap >= -0.3 ? "met" : "NOT met",
                time, time <= 0.6 ? "met" : "NOT met", 100 * iterShare,
                100 * iterShare * (1 - (double) oder.batch() / problems.get(0).a().blockCount()));
        out.printf(Locale.ROOT, "Against the full batch with ODER's own solver (Nesterov, B = I, the paper's comparison): time per "
                + "iteration ODER ÷ full %.2f; time to within 0.5 dB ODER ÷ full %.2f.%n", perIter, vsNesterov);
    }

    private Row run(String scenario, Problem p, String model, OderSettings oder) {
        double dataFull, dataMini, den;
        try (NDManager sub = m.newSubManager()) {
            Shape d = p.a().domainShape();
            NDArray z = sub.randomUniform(0, 1, new Shape(1, 1, d.get(0), d.get(1)));
            DataTerm full = DataTerm.full(List.of(p.a()), List.of(p.y()));
            MinibatchData mini = new MinibatchData(List.of(p.a()), List.of(p.y()), oder.sampling(), oder.batch(), oder.scaling(), 1);
            dataFull = Autograd.noGrad(() -> Timing.median(7, () -> { try (NDManager s = sub.newSubManager()) { full.gradient(z).attach(s); } }));
            dataMini = Autograd.noGrad(() -> Timing.median(7, () -> { try (NDManager s = sub.newSubManager()) { mini.gradient(z).attach(s); } }));
            StoredModel stored = ModelCache.get(model, p.y().getDevice());
            DeqModel dm = (DeqModel) stored.block();
            NDArray sigma = Tensors.owned(sub.create(new float[] {(float) p.sigma()}));
            den = Autograd.noGrad(() -> Timing.median(7, () -> { try (NDManager s = sub.newSubManager()) { dm.denoiser().denoise(z, sigma).attach(s); } }));
            mini.close();
        }
        int iBlocks = p.a().blockCount();
        Run deq = solve("deq", p, model, "anderson", 100, 1e-4, null);
        Run nes = solve("full-nesterov", p, model, oder.withBatch(iBlocks).solverSpec(), 200, 1e-4, oder.withBatch(iBlocks));
        Run od = solve("oder", p, model, oder.solverSpec(), 200, 1e-4, oder);
        return new Row(scenario, p.name(), iBlocks, oder.batch(), dataFull, dataMini, den, deq, nes, od);
    }

    private Run solve(String label, Problem p, String model, String solver, int iterations, double tol, OderSettings oder) {
        LearnedReconstruction r = new LearnedReconstruction(model, DeqForm.RED, p.cs(), p.sigma(), solver,
                SolverOptions.of(iterations, tol), oder);
        List<Double> times = new ArrayList<>(), psnrs = new ArrayList<>();
        long[] overhead = {0};
        long t0 = System.nanoTime();
        IterationListener l = (k, max, z, res) -> {
            long s = System.nanoTime();
            double ps = ImageMetrics.psnr(p.truth(), Tensors.toPlane(p.a().toImage(z)), 1);
            times.add((s - t0 - overhead[0]) / 1e9);
            psnrs.add(ps);
            overhead[0] += System.nanoTime() - s;
            return true;
        };
        Result res;
        try {
            res = Autograd.noGrad(() -> r.reconstruct(p.a(), p.y(), l));
        } catch (io.equilibria.errors.DivergenceException e) {
            out.println("(" + label + " on " + p.name() + ": " + e.getMessage() + ")");
            double s = (System.nanoTime() - t0 - overhead[0]) / 1e9;
            return new Run(label + " (diverged)", Double.NaN, times.size(), s, new double[0], new double[0]);
        }
        double seconds = (System.nanoTime() - t0 - overhead[0]) / 1e9;
        double psnr = ImageMetrics.psnr(p.truth(), Tensors.toPlane(p.a().toImage(res.x())), 1);
        res.x().close();
        return new Run(label, psnr, res.iterations(), seconds, times.stream().mapToDouble(Double::doubleValue).toArray(),
                psnrs.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
