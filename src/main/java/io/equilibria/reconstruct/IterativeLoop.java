package io.equilibria.reconstruct;

import io.equilibria.solvers.IterationListener;

import io.equilibria.errors.NumericalException;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.equilibria.compute.Tensors;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The loop every iterative method shares: one step per iteration inside its own {@link NDScope} (so intermediates
 * are freed and memory stays flat), relative-change tracking, a tolerance stop, divergence detection (NaN/Inf is
 * an error naming the iteration, never a silent garbage image) and the listener for progress and cancel.
 */
public final class IterativeLoop {
    private IterativeLoop() {}

    public static Result run(String method, NDArray x0, int maxIterations, double tolerance, UnaryOperator<NDArray> step,
                             IterationListener listener, Map<String, Object> parameters) {
        long t0 = System.nanoTime();
        NDArray x = x0;
        List<Double> trace = new ArrayList<>();
        boolean cancelled = false;
        double change = Double.NaN;
        int k = 0;
        while (k < maxIterations) {
            NDArray next;
            try (NDScope scope = new NDScope()) {
                next = step.apply(x);
                double diff = Tensors.norm(next.sub(x));
                double nn = Tensors.norm(next);
                change = nn > 0 ? diff / nn : diff;
                NDScope.unregister(next);
            }
            if (!Double.isFinite(change)) {
                next.close();
                throw new NumericalException(method + " diverged at iteration " + (k + 1)
                        + " (non-finite values); try fewer iterations or stronger regularisation");
            }
            if (x != x0) x.close();
            x = next;
            k++;
            trace.add(change);
            if (!listener.onIteration(k, maxIterations, x, change)) {
                cancelled = true;
                break;
            }
            if (tolerance > 0 && change < tolerance) break;
        }
        if (x == x0) x = x0.duplicate();
        double seconds = (System.nanoTime() - t0) / 1e9;
        parameters.put("tolerance", tolerance);
        return new Result(x, method, k, change, trace, seconds, cancelled, parameters);
    }
}
