package io.equilibria.priors;

import java.util.Map;

/** The hyper-parameters of a learned denoiser architecture, as stored on model cards. */
public sealed interface DenoiserConfig permits DnCnn.Config, DnCnn3d.Config, UNet.Config {
    /** Architecture name on cards ({@code dncnn}, {@code dncnn3d}, {@code unet}). */
    String type();

    /** True for a network of volumes (see {@link Denoiser#volumetric}). */
    default boolean volumetric() {
        return false;
    }

    DenoiserConfig withSeed(long seed);

    TrainableDenoiser build();

    Map<String, Object> toMap();

    /** Reads {@link #toMap()}'s output; cards without a {@code type} are DnCNNs (the first format). */
    static DenoiserConfig fromMap(Map<String, Object> m) {
        Object t = m.getOrDefault("type", "dncnn");
        if (UNet.TYPE.equals(t)) return UNet.Config.fromMap(m);
        if ("dncnn".equals(t)) return DnCnn.Config.fromMap(m);
        if (DnCnn3d.TYPE.equals(t)) return DnCnn3d.Config.fromMap(m);
        throw new IllegalArgumentException("unknown denoiser architecture '" + t + "' (dncnn, dncnn3d or unet)");
    }
}
