package io.equilibria.solvers;

import ai.djl.ndarray.NDArray;

import java.util.Locale;

/** Damped fixed-point iteration (Krasnosel'skii–Mann): z ← (1 − β) z + β T(z); β = 1 is plain Picard. */
public final class Picard implements FixedPointSolver {
    private final double beta;

    public Picard(double beta) {
        if (!(beta > 0 && beta <= 1)) throw new IllegalArgumentException("picard beta must be in (0, 1], got " + beta);
        this.beta = beta;
    }

    @Override public String describe() { return String.format(Locale.ROOT, "picard(beta=%s)", beta); }

    @Override
    public Solution solve(FixedPointMap map, NDArray z0, SolverOptions o) {
        return new Tracker(describe(), o, z0).iterate(map, (k, z, f) -> beta == 1 ? f : z.mul(1 - beta).addi(f.mul(beta)));
    }
}
