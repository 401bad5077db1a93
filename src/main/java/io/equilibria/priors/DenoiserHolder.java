package io.equilibria.priors;

import ai.djl.ndarray.NDManager;
import io.equilibria.errors.ModelException;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;

/** A stored model that carries a denoiser (a DEQ reconstruction model): its denoiser can start another training. */
public interface DenoiserHolder {
    Denoiser denoiser();

    /** Loads a denoiser model, or the denoiser of a model that holds one. */
    static Denoiser load(String nameOrPath, NDManager manager) {
        StoredModel m = ModelStore.load(nameOrPath, manager);
        if (m.block() instanceof DenoiserHolder h) return h.denoiser();
        if (!(m.block() instanceof Denoiser d) || (m.card().kind() != null && !m.card().kind().equals("denoiser"))) {
            throw new ModelException(m.cardFile(), "is a '" + m.card().kind() + "' model, not a denoiser");
        }
        return d;
    }
}
