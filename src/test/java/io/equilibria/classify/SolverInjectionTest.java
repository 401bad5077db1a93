package io.equilibria.classify;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.deq.SolverSpec;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A conv equilibrium classifier gets its solver from a spec apart from its config: from a card, or the old default. */
class SolverInjectionTest {
    @Test
    void aCardsSolverSpecIsUsedAndOldCardsGetTheDefault(@TempDir Path dir) {
        ConvEquilibriumNet.Config config = new ConvEquilibriumNet.Config(EquilibriumNet.Kind.LBEN, 8, 8, 3, 4, 1.0, 1.0, 2.0, 1.5, 1e-6, 20_000, 7);
        SolverSpec broyden = ConvEquilibriumNet.defaultSolver(config).withSolver("broyden:m=20");
        try (NDManager m = Compute.manager(Device.cpu())) {
            ConvEquilibriumNet net = new ConvEquilibriumNet(config).initialize(m);
            assertEquals(new SolverSpec(SolverSpec.ANDERSON, 20_000, 1e-6, "ift", 30, 1e-4), net.solver());
            Map<String, Object> architecture = config.toMap();
            architecture.put(SolverSpec.CARD_FIELD, broyden.toMap());
            ModelStore.save(dir, ModelCard.of("tiny", "classifier", "test", new ModelCard.Architecture(ConvEquilibriumNet.class.getName(),
                    architecture), null, null), net);
            StoredModel loaded = ModelStore.load(dir.resolve("tiny.json"), m);
            ConvEquilibriumNet back = (ConvEquilibriumNet) loaded.block();
            assertEquals(config, back.config());
            assertEquals(broyden, back.solver());
            SplittableRandom r = new SplittableRandom(3);
            float[] image = new float[64];
            for (int i = 0; i < image.length; i++) image[i] = (float) r.nextDouble();
            try (ConvEquilibriumClassifier a = new ConvEquilibriumClassifier(net); ConvEquilibriumClassifier b = new ConvEquilibriumClassifier(back)) {
                float[] la = a.logits(new float[][] {image})[0], lb = b.logits(new float[][] {image})[0];
                assertArrayEquals(la, lb, 1e-3f, "Anderson and Broyden find the same equilibrium");
                assertTrue(b.solve(new float[][] {image}).iterations() > 0);
            }
        }
    }
}
