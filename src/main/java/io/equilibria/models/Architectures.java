package io.equilibria.models;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;

import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.TreeMap;

/**
 * The block types a model card may name, each with how to build it from its hyper-parameters and how to initialise
 * it (parameter shapes only; values come from the file). A new model kind declares its {@link Factory} (next to the
 * block, as its nested {@code ArchitectureFactory}) in {@code META-INF/services/io.equilibria.models.Architectures$Factory};
 * this package names none of them, so models sit below the packages that hold the blocks.
 */
public final class Architectures {
    /** Builds and initialises a block of one type. */
    public interface Factory {
        /** The type a card names: the block's class name. */
        String type();

        /** Earlier names of the type that cards written before a package move still carry. */
        default java.util.List<String> aliases() {
            return java.util.List.of();
        }

        Block build(Map<String, Object> hyperParameters);

        /** Allocates the parameters on {@code manager} (any values: the loader replaces them). */
        void initialize(Block block, NDManager manager);

        /** After loading: a quick run that fails if stored state (e.g. power vectors) does not fit the block. */
        default void check(Block block, NDManager manager) {}
    }

    /**
     * A {@link Factory} from its parts, so that a block declares itself in a few lines: a block's nested
     * {@code ArchitectureFactory extends Entry<TheBlock>} passes them to this constructor (ServiceLoader needs the
     * public no-argument constructor of the subclass).
     */
    public abstract static class Entry<B extends Block> implements Factory {
        private final Class<B> type;
        private final java.util.function.Function<Map<String, Object>, B> build;
        private final java.util.function.BiConsumer<B, NDManager> initialize, check;
        private final java.util.List<String> aliases;

        protected Entry(Class<B> type, java.util.function.Function<Map<String, Object>, B> build,
                        java.util.function.BiConsumer<B, NDManager> initialize, java.util.function.BiConsumer<B, NDManager> check,
                        String... aliases) {
            this.type = type;
            this.build = build;
            this.initialize = initialize;
            this.check = check;
            this.aliases = java.util.List.of(aliases);
        }

        @Override public String type() { return type.getName(); }
        @Override public java.util.List<String> aliases() { return aliases; }
        @Override public Block build(Map<String, Object> h) { return build.apply(h); }
        @Override public void initialize(Block b, NDManager m) { initialize.accept(type.cast(b), m); }
        @Override public void check(Block b, NDManager m) { if (check != null) check.accept(type.cast(b), m); }
    }

    /** Filled once from every {@link Factory} the class path declares (META-INF/services). */
    private static Map<String, Factory> factories;

    private Architectures() {}

    private static synchronized Map<String, Factory> factories() {
        if (factories == null) {
            Map<String, Factory> found = new TreeMap<>();
            // this class's loader, not the context one: inside ImageJ the plugin jar has its own loader
            for (Factory f : ServiceLoader.load(Factory.class, Architectures.class.getClassLoader())) {
                found.put(f.type(), f);
                for (String alias : f.aliases()) found.put(alias, f);
            }
            factories = found;
        }
        return factories;
    }

    public static Set<String> types() {
        return Set.copyOf(factories().keySet());
    }

    static Factory factory(String type) {
        return factories().get(type);
    }
}
