package io.equilibria.reconstruct.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.equilibria.deq.DeqCell;
import io.equilibria.deq.DeqLayer;
import io.equilibria.deq.Equilibrium;
import io.equilibria.deq.GradientMode;
import io.equilibria.physics.LinearOperator;
import io.equilibria.priors.Denoiser;
import io.equilibria.reconstruct.IterationListener;
import io.equilibria.reconstruct.Reconstructor;
import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.classical.Tikhonov;
import io.equilibria.solvers.FixedPointSolver;
import io.equilibria.solvers.Solution;
import io.equilibria.solvers.SolverOptions;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A learned DEQ reconstruction on any operator: initialised by Tikhonov/CG (Wiener for deblurring, a regularised
 * least-squares solution for CS), then the fixed point of the RED or PnP map found by the solver (Anderson by default),
 * with the denoiser in inference mode. The report holds the model, the learned scalars, the solver, its iterations,
 * residual, convergence and time.
 */
public final class DeqReconstructor implements Reconstructor {
    private final String model;
    private final Denoiser denoiser;
    private final DeqScalars scalars;
    private final DeqForm form;
    private final FixedPointSolver solver;
    private final SolverOptions options;
    private final double noiseSigma;
    private final boolean compressedSensing;
    private final DataTerm.Factory data;
    private final boolean safeStep;

    public DeqReconstructor(String model, Denoiser denoiser, DeqScalars scalars, DeqForm form, FixedPointSolver solver,
                            SolverOptions options, double noiseSigma, boolean compressedSensing) {
        this(model, denoiser, scalars, form, solver, options, noiseSigma, compressedSensing, DataTerm.FULL, false);
    }

    /**
     * @param data     the data term: {@link DataTerm#FULL}, or an ODER minibatch policy
     * @param safeStep RED only: shorten the step to κγ ({@link io.equilibria.reconstruct.oder.StepSize}), same fixed point
     */
    public DeqReconstructor(String model, Denoiser denoiser, DeqScalars scalars, DeqForm form, FixedPointSolver solver,
                            SolverOptions options, double noiseSigma, boolean compressedSensing, DataTerm.Factory data,
                            boolean safeStep) {
        this.data = data;
        this.safeStep = safeStep && form == DeqForm.RED;
        this.model = model;
        this.denoiser = denoiser;
        this.scalars = scalars;
        this.form = form;
        this.solver = solver;
        this.options = options;
        this.noiseSigma = noiseSigma;
        this.compressedSensing = compressedSensing;
    }

    /** ‖T(z) − z‖ / ‖T(z)‖, the solvers' relative residual, of one map evaluation. */
    private static double residual(DeqCell cell, NDArray z, NDArray y) {
        try (ai.djl.ndarray.NDManager m = z.getManager().newSubManager()) {
            NDArray zz = z.duplicate();
            zz.attach(m);
            NDArray f = cell.apply(zz, y);
            f.attach(m);
            double num = io.equilibria.compute.Tensors.norm(f.sub(zz)), den = io.equilibria.compute.Tensors.norm(f);
            return num / Math.max(den, 1e-30);
        }
    }

    @Override
    public String name() { return data != DataTerm.FULL ? "oder" : form == DeqForm.RED ? "deq-red" : "deq-pnp"; }

    /**
     * The regularised least-squares start: for deblurring a gradient-regularised (Laplacian) Wiener whose λ the
     * discrepancy principle picks per single observation (at least 30σ²; 30σ² for multi-frame data), and whose
     * smooth continuation also fills the unmeasured band of the extended boundary (the identity penalty pulled it
     * to zero, and the prior then kept that dark frame: a bright rim on bright-field images); for CS a damped
     * pseudo-inverse.
     */
    public static Tikhonov initialiser(double noiseSigma, boolean cs) {
        double sigma = Math.max(noiseSigma, 1e-3);
        return cs ? new Tikhonov(1e-2, 30, 1e-4)
                : new Tikhonov(Math.max(1e-5, INIT_GRADIENT_WEIGHT * sigma * sigma), 60, 1e-4, Tikhonov.Regulariser.GRADIENT,
                        sigma);
    }

    /** The model's start: {@link #initialiser}, or FISTA-TV with the CLI's default CS weight for {@link DeqScalars.Start#TV}. */
    public static Reconstructor start(DeqScalars scalars, double noiseSigma, boolean cs) {
        if (scalars.start() == DeqScalars.Start.TV) return io.equilibria.reconstruct.classical.FistaTv.defaults(noiseSigma, cs, 100);
        return initialiser(noiseSigma, cs);
    }

    private static String describe(Reconstructor init, Result r) {
        if (init instanceof Tikhonov t) {
            return "tikhonov-cg lambda " + r.parameters().get("lambda") + " (" + r.parameters().get("lambdaRule") + "; "
                    + t.regulariser().name().toLowerCase(java.util.Locale.ROOT) + " penalty), " + r.iterations() + " iterations";
        }
        return "fista-tv lambda " + r.parameters().get("lambda") + ", " + r.iterations() + " iterations";
    }

    /** The start's λ floor, λ ≥ 30σ² (tried: 30, 300, 3000 before the discrepancy principle; 30 kept textures best). */
    private static final double INIT_GRADIENT_WEIGHT = 30;

    @Override
    public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener) {
        return reconstruct(a, y, listener, null);
    }

    @Override public boolean warmStartable() { return true; }

    /** With a {@code warm} start (e.g. the previous slice's fixed point) the solve starts from whichever of it and the Tikhonov start is nearer a fixed point. */
    @Override
    public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener, NDArray warm) {
        long t0 = System.nanoTime();
        Reconstructor init = start(scalars, noiseSigma, compressedSensing);
        Shape domain = a.domainShape();
        Shape state = new Shape(1, 1, domain.get(domain.dimension() - 2), domain.get(domain.dimension() - 1));
        String initialisation;
        Boolean warmUsed = null; // null: no warm start offered
        NDArray z0;
        if (warm != null && warm.size() != state.size()) {
            throw new IllegalArgumentException("warm start of shape " + warm.getShape() + " does not fit the domain " + domain);
        }
        Result start = init.reconstruct(a, y, IterationListener.NONE);
        NDArray tikhonov = start.x().maximum(0f).reshape(state);
        start.x().close();
        String tikhonovText = describe(init, start);
        double priorSigma = DeqMap.priorSigma(noiseSigma, a, scalars.nullSpaceSigma());
        NDArray sigma = y.getManager().create(new double[] {priorSigma}).toType(y.getDataType(), false);
        DataTerm dataTerm = data.create(List.of(a), List.of(y));
        double priorWeight = io.equilibria.reconstruct.oder.StepSize.priorWeight(scalars, priorSigma, dataTerm);
        double kappa = safeStep ? io.equilibria.reconstruct.oder.StepSize.factors(dataTerm, denoiser, scalars,
                new double[] {priorSigma})[0] : 1;
        NDArray stepFactor = kappa == 1 ? null : y.getManager().create(new float[] {(float) kappa}).toType(y.getDataType(), false);
        DeqCell cell = DeqMap.cell(form, dataTerm, denoiser, scalars, sigma, stepFactor);
        if (warm != null) {
            // a warm start helps only if it is nearer the fixed point than the usual start (a scene that moved may not
            // be): keep whichever has the smaller fixed-point residual, at the cost of two map evaluations
            NDArray w = warm.maximum(0f).reshape(state);
            double rw = residual(cell, w, y), rt = residual(cell, tikhonov, y);
            warmUsed = rw <= rt;
            if (warmUsed) {
                tikhonov.close();
                z0 = w;
                initialisation = String.format(java.util.Locale.ROOT, "warm start (residual %.3g; the Tikhonov start's %.3g)", rw, rt);
            } else {
                w.close();
                z0 = tikhonov;
                initialisation = String.format(java.util.Locale.ROOT, "%s (residual %.3g; the warm start's %.3g was larger)", tikhonovText, rt, rw);
            }
        } else {
            z0 = tikhonov;
            initialisation = tikhonovText;
        }
        List<Double> trace = new ArrayList<>();
        SolverOptions o = options.withListener((k, max, r, z) -> {
            trace.add(r);
            return listener.onIteration(k, max, z.reshape(domain), r);
        });
        DeqLayer layer = new DeqLayer(cell, solver, o, GradientMode.parse("jfb", o));
        Solution s;
        NDArray x;
        try (Equilibrium eq = layer.forward(y, z0)) {
            s = eq.forward();
            x = eq.z().reshape(domain).duplicate();
        } finally {
            z0.close();
            sigma.close();
            if (stepFactor != null) stepFactor.close();
            dataTerm.close();
        }
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("model", model);
        p.put("form", form.name().toLowerCase());
        p.put("denoiser", denoiser.describe());
        p.put("gamma", scalars.gammaValue());
        p.put("tau", form == DeqForm.RED ? priorWeight : null);
        if (safeStep) {
            p.put("stepFactor", kappa);
            p.put("step", scalars.gammaValue() * kappa);
            p.put("dataCurvature", dataTerm.curvature(0));
        }
        p.put("denoiserSigma", scalars.sigmaScaleValue() * priorSigma);
        p.put("noiseSigma", noiseSigma);
        if (a.dataScale() != 1) {
            p.put("dataScale", a.dataScale());
            p.put("priorSigma", priorSigma);
        }
        if (data != DataTerm.FULL) p.putAll(dataTerm.describe());
        p.put("initialisation", initialisation);
        if (warmUsed != null) p.put("warmStartUsed", warmUsed);
        p.put("solver", solver.describe());
        p.put("solverTolerance", options.tolerance());
        p.put("solverResidual", s.residual());
        p.put("converged", s.converged());
        p.put("solverSeconds", s.seconds());
        if (!s.converged() && !s.cancelled()) {
            p.put("warning", "the fixed-point solve stopped before its tolerance: " + s.summary());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double last = trace.isEmpty() ? Double.NaN : trace.get(trace.size() - 1);
        return new Result(x, name(), s.iterations(), last, trace, seconds, s.cancelled(), p);
    }
}
