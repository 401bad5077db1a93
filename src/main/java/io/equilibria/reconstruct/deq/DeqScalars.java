package io.equilibria.reconstruct.deq;

import io.equilibria.compute.Tensors;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.List;

/**
 * The learnable scalars of a DEQ reconstruction, kept as logarithms so they stay positive under gradient steps:
 * the step γ, the prior weight τ (RED only) and the scale s of the noise level handed to the denoiser
 * (σ_D = s · σ̂, since the iterates carry more than the measurement noise).
 */
public final class DeqScalars implements AutoCloseable {
    private final NDArray logGamma, logTau, logSigmaScale;
    private final boolean owned;
    private double tauExponent;

    /** The noise level at which τ is the prior weight itself (see {@link #tauExponent}). */
    public static final double SIGMA_REFERENCE = 0.03;


    /**
     * With exponent p the RED prior weight used for noise level σ is τ·(σ/σ_ref)^p: p = 2 is the MAP scaling (the
     * prior's weight grows with the noise variance relative to the data term ½‖Ax − y‖²); p = 0 uses τ as is.
     */
    public DeqScalars withTauExponent(double p) {
        this.tauExponent = p;
        return this;
    }

    public double tauExponent() { return tauExponent; }

    private double tauSigmaFloor = 1e-4;

    /**
     * The smallest σ the weight law (σ/σ_ref)^p is evaluated at: with p = 2 the prior weight otherwise vanishes on
     * nearly noise-free data, while the deconvolved iterate's error (amplified noise, ringing) does not.
     */
    public DeqScalars withTauSigmaFloor(double s) {
        this.tauSigmaFloor = s;
        return this;
    }

    public double tauSigmaFloor() { return tauSigmaFloor; }

    /** Where the fixed-point iteration starts: regularised least squares, or FISTA-TV (for compressed sensing). */
    public enum Start { TIKHONOV, TV }

    private double nullSpaceSigma;
    private Start start = Start.TIKHONOV;

    /**
     * ν: the prior's noise level grows with the share f of unknowns the measurement leaves open, σ_prior² =
     * σ_data² + (ν f)², so that for noise-free compressed sensing the denoiser still has something to remove (the
     * null space). 0 for deblurring, where f = 0 anyway.
     */
    public DeqScalars withNullSpaceSigma(double nu) {
        this.nullSpaceSigma = nu;
        return this;
    }

    public double nullSpaceSigma() { return nullSpaceSigma; }

    public DeqScalars withStart(Start s) {
        this.start = s;
        return this;
    }

    public Start start() { return start; }

    /** The weight factor (σ/σ_ref)^p per problem, shape (N), as a constant (no gradient) on sigma's manager. */
    public NDArray tauScale(NDArray sigma) {
        float[] s = sigma.toType(DataType.FLOAT32, false).toFloatArray();
        double[] w = new double[s.length];
        for (int i = 0; i < s.length; i++) w[i] = tauScale(s[i]);
        try (NDArray host = Tensors.owned(sigma.getManager().create(w))) {
            NDArray t = host.toType(sigma.getDataType(), false);
            NDArray out = t.duplicate();
            if (t != host) t.close();
            return out;
        }
    }

    /** The weight factor (σ/σ_ref)^p for one noise level. */
    public double tauScale(double sigma) {
        return Math.pow(Math.max(sigma, tauSigmaFloor) / SIGMA_REFERENCE, tauExponent);
    }

    public DeqScalars(NDManager m, double gamma, double tau, double sigmaScale) {
        this(m, gamma, tau, sigmaScale, DataType.FLOAT32);
    }

    public DeqScalars(NDManager m, double gamma, double tau, double sigmaScale, DataType type) {
        if (!(gamma > 0 && tau > 0 && sigmaScale > 0)) throw new IllegalArgumentException("gamma, tau and sigma scale must be > 0");
        logGamma = io.equilibria.compute.Scalars.constant(m, Math.log(gamma), type);
        logTau = io.equilibria.compute.Scalars.constant(m, Math.log(tau), type);
        logSigmaScale = io.equilibria.compute.Scalars.constant(m, Math.log(sigmaScale), type);
        owned = true;
    }

    private DeqScalars(NDArray logGamma, NDArray logTau, NDArray logSigmaScale) {
        this.logGamma = logGamma;
        this.logTau = logTau;
        this.logSigmaScale = logSigmaScale;
        this.owned = false;
    }

    /** A view of existing (1)-shaped log arrays, e.g. a model's parameters; closing the view leaves them open. */
    public static DeqScalars wrap(NDArray logGamma, NDArray logTau, NDArray logSigmaScale) {
        return new DeqScalars(logGamma, logTau, logSigmaScale);
    }

    public NDArray gamma() { return logGamma.exp(); }
    public NDArray tau() { return logTau.exp(); }
    public NDArray sigmaScale() { return logSigmaScale.exp(); }

    // through Scalars.value: toType(FLOAT64) left a converted copy on the model's process-long manager at every call
    public double gammaValue() { return Math.exp(io.equilibria.compute.Scalars.value(logGamma)); }
    public double tauValue() { return Math.exp(io.equilibria.compute.Scalars.value(logTau)); }
    public double sigmaScaleValue() { return Math.exp(io.equilibria.compute.Scalars.value(logSigmaScale)); }

    /** The raw (log) arrays, for an optimizer. */
    public List<NDArray> parameters() { return List.of(logGamma, logTau, logSigmaScale); }

    public void setRequiresGradient(boolean on) {
        for (NDArray a : parameters()) a.setRequiresGradient(on);
    }

    @Override
    public void close() {
        if (owned) for (NDArray a : parameters()) a.close();
    }
}
