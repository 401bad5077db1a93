package io.equilibria.train;

import ai.djl.ndarray.NDManager;
import io.equilibria.priors.TrainableDenoiser;

/** Test access to {@link DeqTraining#copy} from other packages. */
public final class DeqTrainingAccess {
    private DeqTrainingAccess() {}

    public static void copy(TrainableDenoiser from, TrainableDenoiser to, NDManager m) { DeqTraining.copy(from, to, m); }
}
