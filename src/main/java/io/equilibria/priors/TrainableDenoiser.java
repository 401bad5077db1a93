package io.equilibria.priors;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;

import java.util.Map;

/**
 * A learned {@link Denoiser} that is also a DJL block: what the denoiser and DEQ trainers, the model store and the
 * DEQ model need of any network architecture, so that none of them names a concrete one.
 */
public interface TrainableDenoiser extends Denoiser, Block {
    DenoiserConfig config();

    /** The architecture entry of this denoiser's model card. */
    default io.equilibria.models.ModelCard.Architecture architecture() {
        return new io.equilibria.models.ModelCard.Architecture(getClass().getName(), config().toMap());
    }

    /** Allocates the parameters on {@code manager} (values from the config's seed). */
    TrainableDenoiser allocate(NDManager manager);

    /** Called once on fresh weights before training (e.g. rescale kernels to their spectral bound). */
    default void prepareForTraining() {}

    /** Called before validation and saving (e.g. converge spectral-norm power vectors); returns diagnostics. */
    default Map<String, Object> refine() {
        return Map.of();
    }

    /** One cheap step of {@link #refine} between optimiser steps of a DEQ training (a no-op unless needed). */
    default void refineStep() {}

    /** Pixels of input on each side that one output pixel depends on (tiles are cut with this halo). */
    int receptiveRadius();
}
