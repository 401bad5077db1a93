package io.equilibria.reconstruct.classical;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.NDScope;
import io.equilibria.compute.Tensors;
import io.equilibria.physics.LinearOperator;
import io.equilibria.solvers.IterationListener;
import io.equilibria.errors.NumericalException;
import io.equilibria.reconstruct.Result;
import io.equilibria.reconstruct.Reconstructor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Wiener / Tikhonov: argmin ½||Ax − y||² + ½λ||x||², i.e. (AᵀA + λI) x = Aᵀy, solved by conjugate gradients on
 * any operator. For a periodic convolution this is exactly the Wiener filter with a constant noise-to-signal ratio
 * λ; for the extended boundary it is the same filter without wrap-around artefacts. Also the CS starting point.
 */
public final class Tikhonov implements Reconstructor {
    /**
     * What ½λ‖·‖² penalises: the image ({@code IDENTITY}, the classic Wiener with a constant noise-to-signal ratio),
     * or its finite-difference gradient ({@code GRADIENT}: λ‖∇x‖², whose normal equations hold the Laplacian DᵀD).
     * The gradient penalty leaves constants free, so pixels no measurement sees (the band the extended boundary
     * adds around the field of view) are filled by smooth continuation instead of being pulled to zero.
     * {@code LAPLACIAN} penalises the Laplacian, λ‖Lx‖² (L = DᵀD, symbol P²), which is what scikit-image's
     * {@code wiener} does: on smooth images (phase, widefield fluorescence) it keeps gradients that ‖∇x‖² flattens.
     */
    public enum Regulariser { IDENTITY, GRADIENT, LAPLACIAN }

    private final double lambda;
    private final Regulariser regulariser;
    private final double discrepancySigma; // > 0: λ per image by the discrepancy principle ({@link Discrepancy}) on convolutions
    private final int maxIterations;
    private final double tolerance;

    /** The {@code wiener} method's default weight for noise σ (floored): 1e-3 for CS, max(1e-4, 100σ²) for deblurring. */
    public static double defaultLambda(double noiseSigma, boolean compressedSensing) {
        double sigma = io.equilibria.physics.Noise.floored(noiseSigma);
        return compressedSensing ? 1e-3 : Math.max(1e-4, 100 * sigma * sigma);
    }

    public Tikhonov(double lambda, int maxIterations, double tolerance) {
        this(lambda, maxIterations, tolerance, Regulariser.IDENTITY);
    }

    public Tikhonov(double lambda, int maxIterations, double tolerance, Regulariser regulariser) {
        this(lambda, maxIterations, tolerance, regulariser, 0);
    }

    /**
     * With {@code discrepancySigma} > 0 and a convolution, λ is chosen per image by the discrepancy principle for
     * that noise level (gradient penalty); {@code lambda} is used for other operators.
     */
    public Tikhonov(double lambda, int maxIterations, double tolerance, Regulariser regulariser, double discrepancySigma) {
        if (!(lambda >= 0)) throw new IllegalArgumentException("lambda must be >= 0");
        this.lambda = lambda;
        this.regulariser = regulariser;
        this.discrepancySigma = discrepancySigma;
        this.maxIterations = maxIterations;
        this.tolerance = tolerance;
    }

    @Override
    public String name() { return "wiener"; }

    public Regulariser regulariser() { return regulariser; }

    /** I p, DᵀD p = −div ∇p (forward differences, Neumann ends) over every axis (x, y, and z for a volume), or (DᵀD)² p. */
    public NDArray penalty(NDArray p) {
        if (regulariser == Regulariser.IDENTITY) return p;
        if (regulariser == Regulariser.LAPLACIAN) {
            try (NDArray l = gradientPenalty(p)) {
                return gradientPenalty(l);
            }
        }
        return gradientPenalty(p);
    }

    private static NDArray gradientPenalty(NDArray p) {
        int d = p.getShape().dimension();
        NDArray sum = laplacianAlong(p, d - 1);
        for (int axis = d - 2; axis >= 0; axis--) sum = sum.add(laplacianAlong(p, axis));
        return sum;
    }

    /** DᵀD along one axis: (Dᵀ D p)_i = 2p_i − p_{i−1} − p_{i+1} inside, p_0 − p_1 and p_n − p_{n−1} at the ends. */
    private static NDArray laplacianAlong(NDArray p, int axis) {
        long n = p.getShape().get(axis);
        if (n < 2) return p.zerosLike();
        String pre = ":, ".repeat(axis);
        NDArray diff = p.get(new ai.djl.ndarray.index.NDIndex(pre + "1:")).sub(p.get(new ai.djl.ndarray.index.NDIndex(pre + ":-1"))); // D p, n-1
        Shape zs = p.getShape().slice(0, axis).addAll(new Shape(1)).addAll(p.getShape().slice(axis + 1));
        NDArray z = p.getManager().zeros(zs, p.getDataType());
        // Dᵀ q for q of length n−1: (Dᵀq)_i = q_{i−1} − q_i with q_{−1} = q_{n−1} = 0
        return ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(z, diff), axis)
                .sub(ai.djl.ndarray.NDArrays.concat(new ai.djl.ndarray.NDList(diff, z), axis));
    }

    public double lambda() { return lambda; }

    @Override
    public Result reconstruct(LinearOperator a, NDArray y, IterationListener listener) {
        long t0 = System.nanoTime();
        // one observation only: K frames with K PSFs have no single transfer function to put in the closed form
        boolean morozov = discrepancySigma > 0 && regulariser == Regulariser.GRADIENT && a instanceof io.equilibria.physics.FftConvolution
                && a.blockCount() == 1;
        double found = morozov ? Discrepancy.lambda(y, ((io.equilibria.physics.FftConvolution) a).psf(), discrepancySigma) : Double.NaN;
        // never below the fixed rule (the principle's periodic model can mistake out-of-band data for signal), and
        // the fixed rule when the search ended at a bound
        boolean usable = found > 1e-6 && found < 10;
        double lambda = usable ? Math.max(found, this.lambda) : this.lambda;
        String rule = !morozov ? "given" : usable ? (found >= this.lambda ? "discrepancy principle" : "discrepancy principle, raised to the floor")
                + " at noise sigma " + (float) discrepancySigma : "fixed rule (the discrepancy search ended at a bound)";
        NDArray b = a.adjoint(y);
        // with the gradient penalty, start from the operator's guess (the data mirrored into an unmeasured band):
        // the band's modes are weakly coupled and CG would stop long before it had filled them from zero
        NDArray guess = regulariser != Regulariser.IDENTITY ? a.initialGuess(y) : null;
        NDArray x = guess != null ? guess.reshape(b.getShape()) : b.zerosLike();
        NDArray r = guess != null ? b.sub(a.adjoint(a.apply(x)).add(penalty(x).mul(lambda))) : b.duplicate();
        NDArray p = r.duplicate();
        double rr = Tensors.dot(r, r), bb = Math.max(Tensors.dot(b, b), 1e-30);
        List<Double> trace = new ArrayList<>();
        int k = 0;
        boolean cancelled = false;
        double rel = Math.sqrt(rr / bb);
        while (k < maxIterations && rel > tolerance) {
            NDArray nx, nr, np;
            try (NDScope s = new NDScope()) {
                NDArray ap = a.adjoint(a.apply(p)).add(penalty(p).mul(lambda));
                double pap = Tensors.dot(p, ap);
                if (!(pap > 0)) throw new NumericalException("wiener: CG lost positive definiteness at iteration " + (k + 1));
                double alpha = rr / pap;
                nx = x.add(p.mul(alpha));
                nr = r.sub(ap.mul(alpha));
                double rrNew = Tensors.dot(nr, nr);
                np = nr.add(p.mul(rrNew / rr));
                rr = rrNew;
                NDScope.unregister(nx, nr, np);
            }
            x.close(); r.close(); p.close();
            x = nx; r = nr; p = np;
            k++;
            rel = Math.sqrt(rr / bb);
            trace.add(rel);
            if (!Double.isFinite(rel)) throw new NumericalException("wiener: non-finite residual at iteration " + k);
            if (!listener.onIteration(k, maxIterations, x, rel)) {
                cancelled = true;
                break;
            }
        }
        r.close(); p.close(); b.close();
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("lambda", lambda);
        params.put("lambdaRule", rule);
        params.put("maxIterations", maxIterations);
        params.put("tolerance", tolerance);
        params.put("regulariser", regulariser.name().toLowerCase(java.util.Locale.ROOT));
        params.put("solver", "conjugate gradients on (A^T A + lambda " + switch (regulariser) {
            case IDENTITY -> "I";
            case GRADIENT -> "D^T D";
            case LAPLACIAN -> "(D^T D)^2";
        } + ") x = A^T y");
        return new Result(x, name(), k, rel, trace, (System.nanoTime() - t0) / 1e9, cancelled, params);
    }
}
