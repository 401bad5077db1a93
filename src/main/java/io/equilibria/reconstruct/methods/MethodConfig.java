package io.equilibria.reconstruct.methods;

import io.equilibria.reconstruct.Reconstructor;

import io.equilibria.reconstruct.classical.FistaTv;
import io.equilibria.reconstruct.classical.RichardsonLucy;
import io.equilibria.reconstruct.classical.Tikhonov;

import java.util.List;
import java.util.Locale;

/**
 * The user's choice of method and its knobs, with NaN / 0 meaning "use the default"; {@link #create} resolves
 * the defaults from the estimated noise level (normalised units) so every report states the values used.
 */
public record MethodConfig(String method, int iterations, double lambda, double tolerance, String model, String solver,
                           io.equilibria.reconstruct.oder.OderSettings oder, io.equilibria.reconstruct.deq.PriorStrength strength) {
    public static final List<String> DEBLUR_METHODS = List.of("rl", "rltv", "wiener", "tv", "deq", "pnp", "oder");
    public static final List<String> CS_METHODS = List.of("tv", "wiener", "deq", "pnp", "oder");
    /** Learned methods: at most this many solver iterations and this relative residual unless the user says otherwise. */
    public static final int DEQ_ITERATIONS = 60;
    public static final double DEQ_TOLERANCE = 1e-3;
    /** ODER: more, cheaper iterations (the stochastic map converges more slowly than Anderson on the full map). */
    public static final int ODER_ITERATIONS = 150;

    public MethodConfig {
        method = method.toLowerCase(Locale.ROOT);
        if (strength == null) strength = io.equilibria.reconstruct.deq.PriorStrength.AUTO;
    }

    /**
     * Richardson–Lucy's iterations on a volume unless the user says otherwise. Why more than in 2D (30): with the
     * extended boundary the unknown reaches past the stack by half a tall PSF, and light moves between planes slowly;
     * on the tune set's 3D phantoms (scripts/bench_3d.py --set tune) the PSNR still rose at 30 iterations.
     */
    public static final int VOLUME_RL_ITERATIONS = 100;

    /** This choice with the defaults of a 3D deconvolution where they differ from 2D (RL's and RL-TV's iterations). */
    public MethodConfig forVolume() {
        if (iterations > 0 || !(method.equals("rl") || method.equals("rltv"))) return this;
        return new MethodConfig(method, VOLUME_RL_ITERATIONS, lambda, tolerance, model, solver, oder, strength);
    }

    /** The learned prior's strength defaults to {@link io.equilibria.reconstruct.deq.PriorStrength#AUTO}. */
    public MethodConfig(String method, int iterations, double lambda, double tolerance, String model, String solver,
                        io.equilibria.reconstruct.oder.OderSettings oder) {
        this(method, iterations, lambda, tolerance, model, solver, oder, null);
    }

    public MethodConfig(String method, int iterations, double lambda, double tolerance) {
        this(method, iterations, lambda, tolerance, null, null, null);
    }

    public MethodConfig(String method, int iterations, double lambda, double tolerance, String model, String solver) {
        this(method, iterations, lambda, tolerance, model, solver, null);
    }

    public static MethodConfig of(String method) {
        return new MethodConfig(method, 0, Double.NaN, Double.NaN);
    }

    /** The model a learned method uses: the one named, else the default of its task and form. */
    public String modelName(boolean compressedSensing) {
        if (!learned()) throw new IllegalStateException(method + " uses no model");
        io.equilibria.reconstruct.deq.DeqModel.Task task = compressedSensing
                ? io.equilibria.reconstruct.deq.DeqModel.Task.CS : io.equilibria.reconstruct.deq.DeqModel.Task.DEBLUR;
        if (model != null) return model;
        return method.equals("oder") ? io.equilibria.reconstruct.methods.LearnedReconstruction.defaultOderModel(task)
                : io.equilibria.reconstruct.methods.LearnedReconstruction.defaultModel(task, form());
    }

    /** pnp insists on a DEQ-PnP model, oder on DEQ-RED; deq (null) runs the model in the form it was trained in. */
    private io.equilibria.reconstruct.deq.DeqForm form() {
        return switch (method) {
            case "pnp" -> io.equilibria.reconstruct.deq.DeqForm.PNP;
            case "oder" -> io.equilibria.reconstruct.deq.DeqForm.RED;
            default -> null;
        };
    }

    /** Whether the method takes a prior strength: the full-batch learned methods (ODER keeps the model's own). */
    public static boolean takesStrength(String method) {
        return method.equals("deq") || method.equals("pnp");
    }

    /** Whether the method is a learned DEQ (it needs a model). */
    public boolean learned() {
        return method.equals("deq") || method.equals("pnp") || method.equals("oder");
    }

    /** Builds the reconstructor; {@code noiseSigma} is the noise level in the data's normalised units. */
    public Reconstructor create(double noiseSigma, boolean compressedSensing) {
        switch (method) {
            case "rl":
                return new RichardsonLucy(iterations > 0 ? iterations : 30, 0);
            case "rltv":
                return new RichardsonLucy(iterations > 0 ? iterations : 50, Double.isNaN(lambda) ? 0.002 : lambda);
            case "wiener":
                return new Tikhonov(Double.isNaN(lambda) ? Tikhonov.defaultLambda(noiseSigma, compressedSensing) : lambda,
                        iterations > 0 ? iterations : 200, Double.isNaN(tolerance) ? 1e-4 : tolerance);
            case "tv":
                return new FistaTv(Double.isNaN(lambda) ? FistaTv.defaultLambda(noiseSigma, compressedSensing) : lambda,
                        iterations > 0 ? iterations : (compressedSensing ? 300 : 100), 20,
                        Double.isNaN(tolerance) ? 1e-5 : tolerance, true);
            case "deq":
            case "pnp":
                return new io.equilibria.reconstruct.methods.LearnedReconstruction(modelName(compressedSensing), form(), compressedSensing, noiseSigma, solver == null ? "anderson" : solver,
                        io.equilibria.solvers.SolverOptions.of(iterations > 0 ? iterations : DEQ_ITERATIONS,
                                Double.isNaN(tolerance) ? DEQ_TOLERANCE : tolerance)).withStrength(strength);
            case "oder": {
                io.equilibria.reconstruct.oder.OderSettings o = oder != null ? oder : io.equilibria.reconstruct.oder.OderSettings.defaults(2);
                return new io.equilibria.reconstruct.methods.LearnedReconstruction(modelName(compressedSensing), form(), compressedSensing,
                        noiseSigma, solver == null ? o.solverSpec() : solver,
                        io.equilibria.solvers.SolverOptions.of(iterations > 0 ? iterations : ODER_ITERATIONS,
                                Double.isNaN(tolerance) ? DEQ_TOLERANCE : tolerance), o);
            }
            default:
                throw new IllegalArgumentException("unknown method '" + method + "' (choose from "
                        + (compressedSensing ? CS_METHODS : DEBLUR_METHODS) + ")");
        }
    }
}
