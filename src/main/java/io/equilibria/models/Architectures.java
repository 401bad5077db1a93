package io.equilibria.models;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import io.equilibria.priors.DnCnn;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The block types a model card may name, each with how to build it from its hyper-parameters and how to initialise
 * it (parameter shapes only; values come from the file). New model kinds register here, e.g. the DEQ models.
 */
public final class Architectures {
    /** Builds and initialises a block of one type. */
    public interface Factory {
        Block build(Map<String, Object> hyperParameters);

        /** Allocates the parameters on {@code manager} (any values: the loader replaces them). */
        void initialize(Block block, NDManager manager);

        /** After loading: a quick run that fails if stored state (e.g. power vectors) does not fit the block. */
        default void check(Block block, NDManager manager) {}
    }

    private static final Map<String, Factory> FACTORIES = new TreeMap<>();

    static {
        register(DnCnn.class.getName(), new Factory() {
            @Override public Block build(Map<String, Object> h) { return new DnCnn(DnCnn.Config.fromMap(h)); }
            @Override public void initialize(Block b, NDManager m) { ((DnCnn) b).initialize(m); }
            @Override public void check(Block b, NDManager m) {
                try (NDManager sub = m.newSubManager()) {
                    ((DnCnn) b).denoise(sub.zeros(new Shape(1, 1, 8, 8)), sub.create(new float[] {0.05f})).close();
                }
            }
        });
        register(io.equilibria.priors.UNet.class.getName(), new Factory() {
            @Override public Block build(Map<String, Object> h) { return new io.equilibria.priors.UNet(io.equilibria.priors.UNet.Config.fromMap(h)); }
            @Override public void initialize(Block b, NDManager m) { ((io.equilibria.priors.UNet) b).allocate(m); }
            @Override public void check(Block b, NDManager m) {
                try (NDManager sub = m.newSubManager()) {
                    ((io.equilibria.priors.UNet) b).denoise(sub.zeros(new Shape(1, 1, 8, 8)), sub.create(new float[] {0.05f})).close();
                }
            }
        });
        register(io.equilibria.reconstruct.deq.DeqModel.class.getName(), new Factory() {
            @Override public Block build(Map<String, Object> h) {
                return new io.equilibria.reconstruct.deq.DeqModel(io.equilibria.reconstruct.deq.DeqModel.Config.fromMap(h));
            }
            @Override public void initialize(Block b, NDManager m) { ((io.equilibria.reconstruct.deq.DeqModel) b).initialize(m); }
            @Override public void check(Block b, NDManager m) {
                try (NDManager sub = m.newSubManager()) {
                    ((io.equilibria.reconstruct.deq.DeqModel) b).denoiser()
                            .denoise(sub.zeros(new Shape(1, 1, 8, 8)), sub.create(new float[] {0.05f})).close();
                }
            }
        });
    }

    static {
        register(io.equilibria.certify.deq.EquilibriumNet.class.getName(), new Factory() {
            @Override public Block build(Map<String, Object> h) {
                return new io.equilibria.certify.deq.EquilibriumNet(io.equilibria.certify.deq.EquilibriumNet.Config.fromMap(h));
            }
            @Override public void initialize(Block b, NDManager m) { ((io.equilibria.certify.deq.EquilibriumNet) b).initialize(m); }
        });
    }

    static {
        register(io.equilibria.certify.deq.ConvEquilibriumNet.class.getName(), new Factory() {
            @Override public Block build(Map<String, Object> h) {
                return new io.equilibria.certify.deq.ConvEquilibriumNet(io.equilibria.certify.deq.ConvEquilibriumNet.Config.fromMap(h));
            }
            @Override public void initialize(Block b, NDManager m) { ((io.equilibria.certify.deq.ConvEquilibriumNet) b).initialize(m); }
        });
    }

    static {
        register(io.equilibria.geq.GeqNet.class.getName(), new Factory() {
            @Override public Block build(Map<String, Object> h) {
                return new io.equilibria.geq.GeqNet(io.equilibria.geq.GeqNet.Config.fromMap(h));
            }
            @Override public void initialize(Block b, NDManager m) { ((io.equilibria.geq.GeqNet) b).initialize(m); }
        });
    }

    private Architectures() {}

    public static synchronized void register(String type, Factory factory) {
        FACTORIES.put(type, factory);
    }

    public static synchronized Set<String> types() {
        return Set.copyOf(FACTORIES.keySet());
    }

    static synchronized Factory factory(String type) {
        return FACTORIES.get(type);
    }

    /** The architecture entry of a card for a DEQ reconstruction model. */
    public static ModelCard.Architecture of(io.equilibria.reconstruct.deq.DeqModel model) {
        return new ModelCard.Architecture(io.equilibria.reconstruct.deq.DeqModel.class.getName(), model.config().toMap());
    }

    /** The architecture entry of a card for a denoiser. */
    public static ModelCard.Architecture of(io.equilibria.priors.TrainableDenoiser net) {
        return new ModelCard.Architecture(net.getClass().getName(), net.config().toMap());
    }
}
