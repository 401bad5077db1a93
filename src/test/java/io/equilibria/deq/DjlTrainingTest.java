package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.djl.util.Pair;
import io.equilibria.TestSupport;
import io.equilibria.compute.Autograd;
import io.equilibria.compute.Compute;
import io.equilibria.nn.SnLinear;
import io.equilibria.solvers.SolverOptions;
import io.equilibria.solvers.Solvers;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** A DEQ layer inside ordinary DJL training: DJL blocks as the cell, a DJL optimizer, each gradient mode by name. */
class DjlTrainingTest {
    @Test
    void everyGradientModeTrainsADjlBlockDeq() {
        for (String mode : new String[] {"ift", "jfb", "neumann:3"}) {
            try (NDManager m = TestSupport.manager().newSubManager()) {
                ai.djl.engine.Engine.getInstance().setRandomSeed(7);
                SnLinear recur = SnLinear.builder().units(16).bound(0.8).seed(3).build();
                Linear inject = Linear.builder().setUnits(16).build();
                Linear head = Linear.builder().setUnits(1).build();
                recur.initialize(m, DataType.FLOAT32, new Shape(32, 16));
                inject.initialize(m, DataType.FLOAT32, new Shape(32, 4));
                head.initialize(m, DataType.FLOAT32, new Shape(32, 16));
                ParameterStore ps = new ParameterStore(m, false);
                NDArray x = TestSupport.random(m, new Shape(32, 4), 1);
                NDArray target = x.get(":, 0:1").mul(x.get(":, 1:2")).tanh(); // a nonlinear target
                Optimizer adam = Optimizer.adam().optLearningRateTracker(Tracker.fixed(0.02f)).build();
                // training=false inside the cell: the power-iteration vectors must not move during a solve (T would
                // change between iterations); they are advanced once per step instead
                DeqCell cell = (z, xx) -> recur.forward(ps, new NDList(z), false).singletonOrThrow()
                        .add(inject.forward(ps, new NDList(xx), true).singletonOrThrow()).tanh();
                DeqLayer layer = new DeqLayer(cell, Solvers.parse("anderson"), SolverOptions.of(50, 1e-4),
                        GradientMode.parse(mode, SolverOptions.of(50, 1e-5)));
                double first = 0, last = 0;
                for (int step = 0; step < 25; step++) {
                    recur.estimate(1);
                    try (GradientCollector gc = Compute.engine().newGradientCollector()) {
                        Equilibrium eq = layer.forward(x, null, new Shape(32, 16));
                        NDArray zLeaf = Autograd.leaf(eq.z());
                        NDArray loss = head.forward(ps, new NDList(zLeaf), true).singletonOrThrow().sub(target).square().mean();
                        gc.backward(loss);                                   // head gradients and dL/dz*
                        layer.backward(x, eq, zLeaf.getGradient(), false);   // DEQ parameters' gradients
                        double l = loss.getFloat();
                        if (step == 0) first = l;
                        last = l;
                        for (ai.djl.nn.Block b : new ai.djl.nn.Block[] {recur, inject, head}) {
                            for (Pair<String, Parameter> p : b.getParameters()) {
                                NDArray w = p.getValue().getArray();
                                adam.update(p.getValue().getId(), w, w.getGradient());
                            }
                        }
                        gc.zeroGradients();
                        eq.close();
                    }
                }
                assertTrue(last < 0.5 * first, mode + ": loss " + first + " -> " + last);
            }
        }
    }
}
