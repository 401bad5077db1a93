package io.equilibria.priors;

import java.util.Map;

/** The hyper-parameters of a learned denoiser architecture, as stored on model cards. */
public sealed interface DenoiserConfig permits DnCnn.Config, UNet.Config {
    /** Architecture name on cards ({@code dncnn}, {@code unet}). */
    String type();

    DenoiserConfig withSeed(long seed);

    TrainableDenoiser build();

    Map<String, Object> toMap();

    /** Reads {@link #toMap()}'s output; cards without a {@code type} are DnCNNs (the first format). */
    static DenoiserConfig fromMap(Map<String, Object> m) {
        Object t = m.getOrDefault("type", "dncnn");
        if (UNet.TYPE.equals(t)) return UNet.Config.fromMap(m);
        if ("dncnn".equals(t)) return DnCnn.Config.fromMap(m);
        throw new IllegalArgumentException("unknown denoiser architecture '" + t + "' (dncnn or unet)");
    }
}
