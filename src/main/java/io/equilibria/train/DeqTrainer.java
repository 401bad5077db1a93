package io.equilibria.train;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.deq.DeqCell;
import io.equilibria.deq.DeqLayer;
import io.equilibria.deq.Equilibrium;
import io.equilibria.deq.GradientMode;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.priors.Denoiser;
import io.equilibria.solvers.IterationListener;
import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.deq.DataTerm;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.oder.OderSettings;
import io.equilibria.deq.JacobianTranspose;
import io.equilibria.deq.Vjp;
import io.equilibria.reconstruct.deq.DeqMap;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.reconstruct.deq.DeqReconstructor;
import io.equilibria.reconstruct.deq.DeqScalars;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;
import io.equilibria.train.loop.AdamOptimizer;
import io.equilibria.train.loop.TrainingStep;

import java.util.ArrayList;
import java.util.List;

/**
 * End-to-end training of a DEQ reconstruction: for a batch of problems the fixed point x* of the RED/PnP map is
 * found by Anderson (no graph), the loss is the mean squared error to the ground truth, and the gradient reaches the
 * denoiser's weights and the scalars γ, τ, s through the fixed point by implicit differentiation (or JFB/Neumann),
 * then Adam updates them. The denoiser's spectral-normalisation vectors advance one power step per batch, never
 * inside a solve (the map must not change between iterations).
 */
public final class DeqTrainer {
    /** @param oder ODER's minibatch settings (forward and backward solves), or null for full-batch training */
    public record Config(DeqForm form, String gradient, int forwardIterations, double forwardTolerance,
                         int backwardIterations, double backwardTolerance, double learningRate, OderSettings oder) {
        public Config(DeqForm form, String gradient, int forwardIterations, double forwardTolerance,
                      int backwardIterations, double backwardTolerance, double learningRate) {
            this(form, gradient, forwardIterations, forwardTolerance, backwardIterations, backwardTolerance, learningRate, null);
        }

        public static Config defaults() { return new Config(DeqForm.RED, "ift", 30, 1e-3, 30, 1e-4, 1e-4); }

        public Config withOder(OderSettings o) {
            return new Config(form, gradient, forwardIterations, forwardTolerance, backwardIterations, backwardTolerance, learningRate, o);
        }

        DataTerm.Factory dataTerm() { return oder == null ? DataTerm.FULL : oder.dataTerm(); }

        /** Anderson for full batch; ODER's Nesterov iteration with its running residual and averaging for minibatches. */
        String forwardSolver() { return oder == null ? "anderson" : oder.solverSpec(); }
    }

    /** What one step did. */
    public record Step(double loss, int forwardIterations, double forwardResidual, int backwardIterations, double seconds)
            implements TrainingStep.Outcome {}

    private final Config config;
    private final Denoiser denoiser;
    private final Runnable powerStep;
    private final DeqScalars scalars;
    private final AdamOptimizer optimizer;
    private final List<Pair<String, NDArray>> parameters = new ArrayList<>();

    /**
     * A trainer for a stored model: all of its parameters (denoiser and scalars) are trained by {@code optimizer}
     * (which the caller owns and may checkpoint).
     */
    public DeqTrainer(Config config, DeqModel model, AdamOptimizer optimizer) {
        this(config, model.denoiser(), model, model.denoiser()::refineStep, model.scalars(), optimizer, false);
    }

    /**
     * @param block     the denoiser as a DJL block (its parameters are trained)
     * @param powerStep advances the denoiser's spectral-normalisation vectors by one step (may be a no-op)
     */
    public DeqTrainer(Config config, Denoiser denoiser, Block block, Runnable powerStep, DeqScalars scalars) {
        this(config, denoiser, block, powerStep, scalars,
                new AdamOptimizer(scalars.parameters().get(0).getManager(), Tracker.fixed((float) config.learningRate())), true);
    }

    private DeqTrainer(Config config, Denoiser denoiser, Block block, Runnable powerStep, DeqScalars scalars,
                       AdamOptimizer optimizer, boolean addScalars) {
        this.config = config;
        this.denoiser = denoiser;
        this.powerStep = powerStep;
        this.scalars = scalars;
        this.optimizer = optimizer;
        for (Pair<String, Parameter> p : block.getParameters()) parameters.add(new Pair<>(p.getKey(), p.getValue().getArray()));
        if (addScalars) {
            String[] names = {"deq.logGamma", "deq.logTau", "deq.logSigmaScale"};
            for (int i = 0; i < 3; i++) parameters.add(new Pair<>(names[i], scalars.parameters().get(i)));
        }
        for (Pair<String, NDArray> p : parameters) p.getValue().setRequiresGradient(true);
    }

    public AdamOptimizer optimizer() { return optimizer; }

    private DeqLayer layer(DeqCell cell) {
        SolverOptions f = SolverOptions.of(config.forwardIterations(), config.forwardTolerance());
        SolverOptions b = SolverOptions.of(config.backwardIterations(), config.backwardTolerance());
        return new DeqLayer(cell, Solvers.parse(config.forwardSolver()), f, GradientMode.parse(config.gradient(), b));
    }

    /** One optimisation step on a batch of problems with a common image size. */
    public Step step(List<ReconstructionProblem> batch) {
        long t0 = System.nanoTime();
        powerStep.run();
        Step s;
        try {
            s = gradients(batch);
        } catch (io.equilibria.errors.DivergenceException e) {
            // a random problem on which the map diverged (NaN or a growing residual): no update from this batch
            s = new Step(Double.NaN, 0, Double.NaN, 0, 0);
        }
        boolean update = Double.isFinite(s.loss()) && AdamOptimizer.finiteGradientsOf(parameters);
        if (update) optimizer.stepArrays(parameters);
        else AdamOptimizer.clearGradients(parameters);
        return new Step(update ? s.loss() : Double.NaN, s.forwardIterations(), s.forwardResidual(), s.backwardIterations(),
                (System.nanoTime() - t0) / 1e9);
    }

    /** The loss of a batch and its gradient, accumulated into the trained arrays (no update). */
    public Step gradients(List<ReconstructionProblem> batch) {
        Step s;
        // everything the step creates is freed by the scope; the optimizer's state (created at its first update)
        // must outlive it, so the updates run after the scope closes
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            NDArray z0 = start(batch);
            NDArray truth = DeqMap.batch(batch.stream().map(ReconstructionProblem::truth).toList());
            NDArray sigma = Tensors.owned(z0.getManager().create(sigmas(batch))).toType(z0.getDataType(), false);
            DataTerm data = config.dataTerm().create(ops(batch), ys(batch));
            NDArray step = stepFactors(data, sigma);
            DeqCell cell = DeqMap.cell(config.form(), data, denoiser, scalars, sigma, step);
            DeqLayer layer = layer(cell);
            try (GradientCollector gc = Compute.engine().newGradientCollector()) {
                Equilibrium eq = layer.forward(z0, z0);
                NDArray zLeaf = Autograd.leaf(eq.z());
                NDArray loss = zLeaf.sub(truth).square().mean();
                gc.backward(loss);
                DeqLayer.Backward b = config.oder() == null ? layer.backward(z0, eq, zLeaf.getGradient(), false)
                        : stochasticBackward(layer, data, batch, sigma, step, eq.z(), zLeaf.getGradient());
                double l = loss.toType(DataType.FLOAT64, false).getDouble();
                s = new Step(l, eq.forward().iterations(), eq.forward().residual(), b.iterations(), 0);
            } finally {
                data.close();
            }
        }
        return s;
    }

    /** ODER (RED, safe step): κ per problem, as at inference; null otherwise. */
    private NDArray stepFactors(DataTerm data, NDArray sigma) {
        if (config.oder() == null || !config.oder().safeStep() || config.form() != DeqForm.RED) return null;
        float[] s = sigma.toType(DataType.FLOAT32, false).toFloatArray();
        double[] sigmas = new double[s.length];
        for (int i = 0; i < s.length; i++) sigmas[i] = s[i];
        double[] k = io.equilibria.reconstruct.deq.StepSize.factors(data, denoiser, scalars, sigmas);
        return Tensors.owned(sigma.getManager().create(k)).toType(sigma.getDataType(), false);
    }

    /**
     * ODER's implicit backward through the stochastic map T(z) = P(z, ∇̂g(z)): P is recorded once at z* with the data
     * gradient d as a second input (its exact expectation: the full gradient, times B/I for raw scaling), and each
     * product Jᵀu = P_zᵀu + Ĥ(P_dᵀu) draws a fresh minibatch for the linear part Ĥ ≈ c·AᵀA. The parameters get
     * gᵀ∂P/∂θ at (z*, d).
     */
    private DeqLayer.Backward stochasticBackward(DeqLayer layer, DataTerm data, List<ReconstructionProblem> batch,
                                                 NDArray sigma, NDArray step, NDArray zStar, NDArray dLdz) {
        long t0 = System.nanoTime();
        return Autograd.recording(() -> {
            NDArray d = Autograd.noGrad(() -> {
                NDArray full = DataTerm.full(ops(batch), ys(batch)).gradient(zStar);
                return data.priorScale() == 1 ? full : full.mul(data.priorScale());
            });
            DeqCell split = DeqMap.split(config.form(), data, denoiser, scalars, sigma, step);
            try (Vjp vjp = new Vjp(split, zStar, d, true)) {
                JacobianTranspose jt = u -> {
                    Vjp.Both p = vjp.applyBoth(u);
                    NDArray h = Autograd.noGrad(() -> data.normal(p.x()));
                    p.x().close();
                    return p.z().addi(h);
                };
                GradientMode.Adjoint a = layer.gradient().cotangent(jt, dLdz);
                vjp.pullBack(a.g());
                if (a.g() != dLdz) a.g().close();
                return new DeqLayer.Backward(null, a.iterations(), a.residual(), a.converged(), (System.nanoTime() - t0) / 1e9);
            }
        });
    }

    /** The loss alone (forward solve only), e.g. for finite-difference checks. */
    public double loss(List<ReconstructionProblem> batch) {
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
            NDArray z0 = start(batch);
            NDArray truth = DeqMap.batch(batch.stream().map(ReconstructionProblem::truth).toList());
            NDArray sigma = Tensors.owned(z0.getManager().create(sigmas(batch))).toType(z0.getDataType(), false);
            DataTerm data = config.dataTerm().create(ops(batch), ys(batch));
            DeqLayer layer = layer(DeqMap.cell(config.form(), data, denoiser, scalars, sigma, stepFactors(data, sigma)));
            try (Equilibrium eq = layer.forward(z0, z0)) {
                return eq.z().sub(truth).square().mean().toType(DataType.FLOAT64, false).getDouble();
            } finally {
                data.close();
            }
        }
    }

    /** The arrays this trainer optimises, by id. */
    public List<Pair<String, NDArray>> parameters() { return parameters; }

    /** Mean PSNR (peak 1) of the reconstructions of validation problems, one at a time as at inference. */
    public double validate(List<ReconstructionProblem> problems, boolean compressedSensing) {
        double sum = 0;
        for (ReconstructionProblem p : problems) {
            // as at inference: the full-batch DEQ with Anderson, or ODER's minibatch iteration with its settings
            DeqReconstructor r = new DeqReconstructor("training", denoiser, scalars, config.form(), Solvers.parse(config.forwardSolver()),
                    SolverOptions.of(Math.max(config.oder() == null ? 50 : 150, config.forwardIterations()), config.forwardTolerance()),
                    p.sigma(), compressedSensing, config.dataTerm(), config.oder() != null && config.oder().safeStep());
            Result res = Autograd.noGrad(() -> r.reconstruct(p.operator(), p.y(), IterationListener.NONE));
            sum += p.operator() instanceof io.equilibria.physics.VolumeConvolution v ? volumePsnr(v, p.truth(), res.x())
                    : ImageMetrics.psnr(io.equilibria.compute.Tensors.toPlane(p.truth()), io.equilibria.compute.Tensors.toPlane(res.x()), 1.0);
            res.x().close();
        }
        return sum / problems.size();
    }

    /**
     * PSNR of a volume's reconstruction over the field of view (the domain's band outside it is not measured), the
     * peak being the truth's largest voxel there: volumes are trained in the data's normalised units, where the truth
     * is not confined to [0, 1].
     */
    static double volumePsnr(io.equilibria.physics.VolumeConvolution a, NDArray truth, NDArray x) {
        float[] t = a.toImage(truth.reshape(a.domainShape())).toType(DataType.FLOAT32, false).toFloatArray();
        float[] r = a.toImage(x.reshape(a.domainShape())).toType(DataType.FLOAT32, false).toFloatArray();
        double se = 0, peak = 0;
        for (int i = 0; i < t.length; i++) {
            double d = t[i] - r[i];
            se += d * d;
            peak = Math.max(peak, t[i]);
        }
        return 10 * Math.log10(peak * peak / Math.max(se / t.length, 1e-30));
    }

    private NDArray start(List<ReconstructionProblem> batch) {
        List<NDArray> starts = new ArrayList<>();
        for (ReconstructionProblem p : batch) {
            boolean cs = !(p.operator() instanceof io.equilibria.physics.FftConvolution
                    || p.operator() instanceof io.equilibria.physics.VolumeConvolution);
            Result r = Autograd.noGrad(() -> DeqReconstructor.start(scalars, p.sigma(), cs).reconstruct(p.operator(), p.y(), IterationListener.NONE));
            starts.add(r.x().maximum(0f));
        }
        NDArray z0 = DeqMap.batch(starts);
        starts.forEach(NDArray::close);
        return z0;
    }

    private float[] sigmas(List<ReconstructionProblem> batch) {
        float[] s = new float[batch.size()];
        for (int i = 0; i < s.length; i++) s[i] = (float) DeqMap.priorSigma(batch.get(i).sigma(), batch.get(i).operator(), scalars.nullSpaceSigma()); // as at inference
        return s;
    }

    private static List<io.equilibria.physics.LinearOperator> ops(List<ReconstructionProblem> batch) {
        return batch.stream().map(ReconstructionProblem::operator).toList();
    }

    private static List<NDArray> ys(List<ReconstructionProblem> batch) {
        return batch.stream().map(ReconstructionProblem::y).toList();
    }
}
