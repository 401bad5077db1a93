package io.equilibria.reconstruct.methods;

import io.equilibria.errors.Setting;

import io.equilibria.reconstruct.deq.DataTerm;
import io.equilibria.reconstruct.deq.DeqReconstructor;
import io.equilibria.reconstruct.deq.DeqForm;
import io.equilibria.reconstruct.deq.DeqModel;
import io.equilibria.reconstruct.deq.PriorStrength;

import ai.djl.ndarray.NDArray;
import io.equilibria.models.ModelCache;
import io.equilibria.errors.ModelException;
import io.equilibria.models.StoredModel;
import io.equilibria.physics.LinearOperator;
import io.equilibria.solvers.IterationListener;
import io.equilibria.reconstruct.Reconstructor;
import io.equilibria.reconstruct.Result;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code --method deq|pnp}: a stored {@link DeqModel} applied to the user's operator. The model is resolved by name or
 * path (default per task and form, see {@link #defaultModel}), loaded once per device ({@link ModelCache}) on the
 * device of the measurements, and must have been trained for this task (a deblurring model is not silently used for
 * compressed sensing) and, when a form is asked for ({@code --method pnp}: PnP; ODER: RED), in that form;
 * {@code --method deq} runs a model in the form it was trained in.
 */
public final class LearnedReconstruction implements Reconstructor {
    /** Side of the denoiser's tiles on large images (see {@link io.equilibria.priors.TiledDenoiser}); the system
     *  property {@code equilibria.denoiserTile} overrides it, 0 for whole-image calls. */
    public static final int DENOISER_TILE = 256;

    private final String model;
    private final DeqForm form;
    private final boolean compressedSensing;
    private final double noiseSigma;
    private final String solver;
    private final SolverOptions options;
    private final io.equilibria.reconstruct.oder.OderSettings oder;

    /**
     * @param model      name or path; null for the default of the task and form
     * @param form       the form the model must have, or null for the model's own
     * @param noiseSigma noise level in the data's normalised units
     * @param solver     solver spec ({@link Solvers#parse}), e.g. "anderson"
     */
    public LearnedReconstruction(String model, DeqForm form, boolean compressedSensing, double noiseSigma, String solver,
                                 SolverOptions options) {
        this(model, form, compressedSensing, noiseSigma, solver, options, null);
    }

    /** @param oder ODER's minibatch settings, or null for the full-batch DEQ */
    public LearnedReconstruction(String model, DeqForm form, boolean compressedSensing, double noiseSigma, String solver,
                                 SolverOptions options, io.equilibria.reconstruct.oder.OderSettings oder) {
        this.oder = oder;
        this.model = model != null ? model : defaultModel(compressedSensing ? DeqModel.Task.CS : DeqModel.Task.DEBLUR, form);
        this.form = form;
        this.compressedSensing = compressedSensing;
        this.noiseSigma = noiseSigma;
        this.solver = solver;
        this.options = options;
    }

    private double[] noiseVariance;
    private PriorStrength strength = PriorStrength.TRAINED;

    /** The prior's strength (ODER: the automatic choice is not made; it uses 1). */
    public LearnedReconstruction withStrength(PriorStrength m) {
        this.strength = m;
        return this;
    }

    /** The Poisson–Gaussian noise variance a·y + b of the data, for the prior-strength search (see {@link DeqReconstructor}). */
    public LearnedReconstruction withNoiseVariance(double a, double b) {
        this.noiseVariance = new double[] {a, b};
        return this;
    }

    /** deq-deblur, deq-cs (form RED or null: whatever the shipped model's form), deq-pnp-deblur, deq-pnp-cs. */
    public static String defaultModel(DeqModel.Task task, DeqForm form) {
        return "deq-" + (form == DeqForm.PNP ? "pnp-" : "") + task.label();
    }

    /** oder-deblur (a multi-frame deblurring model), oder-cs. */
    public static String defaultOderModel(DeqModel.Task task) {
        return "oder-" + task.label();
    }

    /** The receptive radius in pixels of a DEQ model's denoiser (what a tile's halo must cover). */
    public static int receptiveRadius(String model, ai.djl.Device device) {
        return deqModel(ModelCache.get(model, device)).denoiser().receptiveRadius();
    }

    private static DeqModel deqModel(StoredModel stored) {
        if (!(stored.block() instanceof DeqModel m)) {
            throw new ModelException(stored.cardFile(), "is a '" + stored.card().kind() + "' model, not a DEQ reconstruction model");
        }
        return m;
    }

    @Override
    public String name() { return oder != null ? "oder" : form == DeqForm.PNP ? "pnp" : "deq"; }

    @Override
    public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener) {
        return reconstruct(a, y, listener, null);
    }

    @Override public boolean warmStartable() { return true; }

    @Override
    public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener, NDArray start) {
        return reconstruct(a, y, listener, start, null);
    }

    @Override
    public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener, NDArray start, NDArray startData) {
        StoredModel stored = ModelCache.get(model, y.getDevice());
        DeqModel m = deqModel(stored);
        DeqModel.Task task = compressedSensing ? DeqModel.Task.CS : DeqModel.Task.DEBLUR;
        if (m.task() != task) {
            throw new ModelException(stored.cardFile(), "was trained for " + m.task().label() + ", not " + task.label()
                    + "; choose a " + task.label() + " model (default " + defaultModel(task, form) + ")");
        }
        if (form != null && m.form() != form) {
            throw new ModelException(stored.cardFile(), "is a DEQ-" + m.form() + " model; " + Setting.METHOD + " "
                    + (m.form() == DeqForm.RED ? "deq or oder" : "deq or pnp") + " runs it");
        }
        if (m.denoiser().volumetric() && a.domainShape().dimension() != 3) {
            throw new ModelException(stored.cardFile(), "has a 3D CNN prior: it reconstructs z-stacks as volumes (with a 3D PSF or "
                    + Setting.VOLUME + "), not 2D images; choose a 2D model (default " + defaultModel(task, form) + ")");
        }
        int radius = m.denoiser().receptiveRadius();
        // a wide receptive field (the U-Net's ~90 px) would make 256 px tiles mostly halo: keep the halo's share small
        int tile = Integer.getInteger("equilibria.denoiserTile", Math.max(DENOISER_TILE, (6 * radius + 7) / 8 * 8));
        // a 3D CNN on a volume: blocks of about 96 voxels a side (equilibria.denoiserVolumeTile)
        int volumeTile = Integer.getInteger("equilibria.denoiserVolumeTile", io.equilibria.priors.TiledDenoiser.VOLUME_TILE);
        io.equilibria.priors.Denoiser d = tile > 0 ? new io.equilibria.priors.TiledDenoiser(m.denoiser(), radius, tile,
                Math.max(8, volumeTile)) : m.denoiser();
        DeqReconstructor r = new DeqReconstructor(stored.card().name(), d, m.scalars(), m.form(), Solvers.parse(solver),
                options, noiseSigma, compressedSensing, oder != null ? oder.dataTerm() : DataTerm.FULL,
                oder != null && oder.safeStep());
        if (noiseVariance != null) r.withNoiseVariance(noiseVariance[0], noiseVariance[1]);
        r.withStrength(strength);
        if (oder != null && a.blockCount() < 2) {
            throw new io.equilibria.errors.InputException("ODER needs a measurement made of several blocks, and this one has "
                    + a.blockCount() + (compressedSensing ? " row group: simulate it with several row groups" :
                    ": give K observations in " + Setting.MULTI_FRAME + " (one PSF slice each). With a single convolution there is nothing"
                    + " to subsample; use " + Setting.METHOD + " deq"));
        }
        if (oder != null && oder.batch() > a.blockCount()) {
            throw new io.equilibria.errors.InputException(Setting.MINIBATCH + " " + oder.batch() + " is more than the measurement's "
                    + a.blockCount() + " blocks");
        }
        Result res = r.reconstruct(a, y, listener, start, startData);
        Map<String, Object> p = new LinkedHashMap<>(res.parameters());
        p.put("modelFile", stored.cardFile().toString());
        p.put("modelSha256", stored.card().sha256());
        return new Result(res.x(), name(), res.iterations(), res.relativeChange(), res.trace(), res.seconds(), res.cancelled(), p);
    }
}
