package io.equilibria.models;

import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;

import java.nio.file.Path;

/** A loaded model: its card, the rebuilt block with the stored parameters, and where they came from. */
public record StoredModel(ModelCard card, Block block, Path cardFile, Path parameterFile) {
    /** Loaded parameters record no gradients; call this before training them further (e.g. fine-tuning). */
    public StoredModel trainable(boolean on) {
        for (Pair<String, Parameter> p : block.getParameters()) {
            if (p.getValue().isInitialized()) p.getValue().getArray().setRequiresGradient(on);
        }
        return this;
    }
}
