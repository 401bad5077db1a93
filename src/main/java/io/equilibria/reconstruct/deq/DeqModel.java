package io.equilibria.reconstruct.deq;

import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.ConstantInitializer;
import ai.djl.util.PairList;
import io.equilibria.priors.DenoiserConfig;
import io.equilibria.priors.TrainableDenoiser;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import static io.equilibria.models.ArchitectureFields.number;

/**
 * A trained DEQ reconstruction as one storable block: the task it was trained for (deblurring or compressed
 * sensing), its form (RED or PnP), its DnCNN denoiser and its three learned scalars (log γ, log τ, log s). The
 * iteration itself lives in {@link DeqMap}; this block only holds what is learned, so a model file is the denoiser's
 * parameters plus three numbers.
 */
public final class DeqModel extends AbstractBlock implements io.equilibria.priors.DenoiserHolder {
    private static final byte VERSION = 1;

    /** What a model was trained to reconstruct. */
    public enum Task {
        DEBLUR, CS;

        public static Task parse(String s) {
            return switch (s.trim().toLowerCase(Locale.ROOT)) {
                case "deblur", "deconvolution" -> DEBLUR;
                case "cs", "compressed-sensing" -> CS;
                default -> throw new IllegalArgumentException("unknown task '" + s + "' (deblur or cs)");
            };
        }

        public String label() { return name().toLowerCase(Locale.ROOT); }
    }

    /**
     * Architecture and the scalars' initial values (the trained values are parameters, in the file).
     *
     * @param volume trained on z-stacks (3D deconvolution): a 2D denoiser sees a volume's xy, xz and yz planes
     *               ({@link io.equilibria.priors.OrthogonalDenoiser}), a 3D CNN ({@link DenoiserConfig#volumetric})
     *               the volume itself; the card says so, and how to run it
     */
    public record Config(Task task, DeqForm form, DenoiserConfig denoiser, double gamma, double tau, double sigmaScale,
                         double tauExponent, double nullSpaceSigma, DeqScalars.Start start, double tauSigmaFloor, boolean volume) {
        /** The orientations a volumetric model's denoiser is applied in (its card's {@code orientations}). */
        public static final String ORIENTATIONS = "xy,xz,yz";

        public Config {
            if (!(gamma > 0 && tau > 0 && sigmaScale > 0)) throw new IllegalArgumentException("gamma, tau and sigma scale must be > 0");
            if (!(nullSpaceSigma >= 0)) throw new IllegalArgumentException("null-space sigma must be >= 0");
            if (start == null) start = DeqScalars.Start.TIKHONOV;
        }

        public Config(Task task, DeqForm form, DenoiserConfig denoiser, double gamma, double tau, double sigmaScale,
                      double tauExponent) {
            this(task, form, denoiser, gamma, tau, sigmaScale, tauExponent, 0, DeqScalars.Start.TIKHONOV, 1e-4, false);
        }

        public Config(Task task, DeqForm form, DenoiserConfig denoiser, double gamma, double tau, double sigmaScale,
                      double tauExponent, double nullSpaceSigma, DeqScalars.Start start, double tauSigmaFloor) {
            this(task, form, denoiser, gamma, tau, sigmaScale, tauExponent, nullSpaceSigma, start, tauSigmaFloor, false);
        }

        /** The same model for z-stacks (or not). */
        public Config withVolume(boolean v) {
            return new Config(task, form, denoiser, gamma, tau, sigmaScale, tauExponent, nullSpaceSigma, start, tauSigmaFloor, v);
        }

        public Config withNullSpace(double nu, DeqScalars.Start s) {
            return new Config(task, form, denoiser, gamma, tau, sigmaScale, tauExponent, nu, s, tauSigmaFloor, volume);
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("task", task.label());
            m.put("form", form.name().toLowerCase(Locale.ROOT));
            m.put("map", form == DeqForm.RED ? "x <- relu(x - gamma (A^T(Ax - y) + tau (x - D(x, s sigma))))"
                    : "x <- relu(D(x - gamma A^T(Ax - y), s sigma))");
            m.put("initialGamma", gamma);
            m.put("initialTau", tau);
            m.put("initialSigmaScale", sigmaScale);
            m.put("tauExponent", tauExponent);
            m.put("tauReferenceSigma", DeqScalars.SIGMA_REFERENCE);
            if (nullSpaceSigma > 0) m.put("nullSpaceSigma", nullSpaceSigma);
            if (tauSigmaFloor != 1e-4) m.put("tauSigmaFloor", tauSigmaFloor);
            if (start != DeqScalars.Start.TIKHONOV) m.put("start", start.name().toLowerCase(Locale.ROOT));
            if (volume && denoiser.volumetric()) {
                m.put("volume", true);
                m.put("prior", "3D CNN on the volume");
                m.put("usage", "3D deconvolution of z-stacks (a volume with a 3D PSF, method deq with this model); the prior is a "
                        + "3D CNN applied to the whole volume (in blocks with a halo of its receptive radius); it does not run on 2D images");
            } else if (volume) {
                m.put("volume", true);
                m.put("orientations", ORIENTATIONS);
                m.put("usage", "3D deconvolution of z-stacks (a volume with a 3D PSF, method deq with this model); the 2D "
                        + "denoiser is applied to every xy, xz and yz plane of the volume and the three averaged");
            }
            m.put("denoiser", denoiser.toMap());
            return m;
        }

        @SuppressWarnings("unchecked")
        public static Config fromMap(Map<String, Object> m) {
            Object task = m.get("task"), form = m.get("form"), den = m.get("denoiser");
            if (!(task instanceof String) || !(form instanceof String)) throw new IllegalArgumentException("DEQ model needs 'task' and 'form'");
            if (!(den instanceof Map)) throw new IllegalArgumentException("DEQ model needs a 'denoiser' architecture");
            return new Config(Task.parse((String) task), DeqForm.parse((String) form), DenoiserConfig.fromMap((Map<String, Object>) den),
                    number(m, "initialGamma", 1), number(m, "initialTau", 1), number(m, "initialSigmaScale", 1),
                    number(m, "tauExponent", 0), number(m, "nullSpaceSigma", 0),
                    m.get("start") instanceof String st ? DeqScalars.Start.valueOf(st.toUpperCase(Locale.ROOT)) : DeqScalars.Start.TIKHONOV,
                    number(m, "tauSigmaFloor", 1e-4), Boolean.TRUE.equals(m.get("volume")));
        }
    }

    private final Config config;
    private final TrainableDenoiser denoiser;
    private final Parameter logGamma, logTau, logSigmaScale;

    public DeqModel(Config config) {
        super(VERSION);
        this.config = config;
        this.denoiser = addChildBlock("denoiser", config.denoiser().build());
        logGamma = addParameter(scalar("logGamma", config.gamma()));
        logTau = addParameter(scalar("logTau", config.tau()));
        logSigmaScale = addParameter(scalar("logSigmaScale", config.sigmaScale()));
    }

    private static Parameter scalar(String name, double value) {
        return Parameter.builder().setName(name).setType(Parameter.Type.OTHER).optShape(new Shape(1))
                .optInitializer(new ConstantInitializer((float) Math.log(value))).build();
    }

    public Config config() { return config; }

    /** The architecture entry of this model's card. */
    public io.equilibria.models.ModelCard.Architecture architecture() {
        return new io.equilibria.models.ModelCard.Architecture(DeqModel.class.getName(), config.toMap());
    }
    public TrainableDenoiser denoiser() { return denoiser; }
    public Task task() { return config.task(); }
    public DeqForm form() { return config.form(); }

    /** The learned scalars as a view of this block's parameters (closing it leaves them alone). */
    public DeqScalars scalars() {
        return DeqScalars.wrap(logGamma.getArray(), logTau.getArray(), logSigmaScale.getArray()).withTauExponent(config.tauExponent())
                .withNullSpaceSigma(config.nullSpaceSigma()).withStart(config.start()).withTauSigmaFloor(config.tauSigmaFloor());
    }

    /** Allocates parameters (DnCNN He-initialised and scaled to its bound, scalars at their initial values). */
    public DeqModel initialize(NDManager manager) {
        initialize(manager, DataType.FLOAT32, new Shape(1, 1, 32, 32), new Shape(1));
        return this;
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        denoiser.initialize(manager, dataType, inputShapes);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    /** The block's own forward is the denoiser's; the reconstruction map needs an operator and is built by {@link DeqMap}. */
    @Override
    protected NDList forwardInternal(ParameterStore ps, NDList inputs, boolean training, PairList<String, Object> params) {
        return denoiser.forward(ps, inputs, training, params);
    }

    public String describe() {
        try (DeqScalars s = scalars()) {
            return String.format(Locale.ROOT, "DEQ-%s for %s, gamma %.4g%s, sigma scale %.3g; denoiser %s",
                    config.form(), config.task().label() + (!config.volume() ? "" : denoiser.volumetric() ? " of z-stacks (3D CNN prior on the volume)"
                            : " of z-stacks (denoiser on xy, xz, yz planes)"), s.gammaValue(),
                    config.form() == DeqForm.RED ? String.format(Locale.ROOT, ", tau %.4g x (sigma/%.2g)^%.3g", s.tauValue(),
                            DeqScalars.SIGMA_REFERENCE, config.tauExponent()) : "",
                    s.sigmaScaleValue(), denoiser.describe())
                    + (config.nullSpaceSigma() > 0 ? String.format(Locale.ROOT, "; prior sigma grows with the unmeasured share f as sqrt(sigma^2 + (%.3g f)^2)", config.nullSpaceSigma()) : "")
                    + (config.start() == DeqScalars.Start.TV ? "; starts from FISTA-TV" : "")
                    + (config.tauSigmaFloor() != 1e-4 ? String.format(Locale.ROOT, "; weight law evaluated at sigma >= %.3g", config.tauSigmaFloor()) : "");
        }
    }

    /** How {@link io.equilibria.models.ModelStore} builds this block from a card (declared in META-INF/services). */
    public static final class ArchitectureFactory extends io.equilibria.models.Architectures.Entry<DeqModel> {
        public ArchitectureFactory() {
            super(DeqModel.class, h -> new DeqModel(Config.fromMap(h)), DeqModel::initialize,
                    (b, m) -> io.equilibria.priors.Denoiser.probe(b.denoiser(), m));
        }
    }
}
