package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import io.equilibria.compute.Autograd;

/**
 * Vector–Jacobian products u ↦ Jᵀu of a cell at a fixed point, J = ∂T/∂z at (z*, x), from one recorded graph
 * (built once, reused by every product). Must be used while graph recording is on (see {@link Autograd#recording}).
 *
 * <p>PyTorch's backward accumulates into every leaf, so each product also adds uᵀ∂T/∂θ to the parameters' gradients.
 * Instead of saving and restoring those gradients (which would wipe what the caller accumulated before), the products'
 * cotangents are summed, and {@link #pullBack} subtracts that sum from its own cotangent: by linearity the parameters
 * end with exactly gᵀ∂T/∂θ added. In float32 this leaves a relative error of order (products)·ε.
 */
public final class Vjp implements JacobianTranspose, AutoCloseable {
    private final NDArray zLeaf;
    private final NDArray xLeaf;
    private final boolean ownsX;
    private final NDArray y;
    private NDArray cotangentSum;
    private int products;
    private boolean pulled;
    private boolean inputProducts; // applyBoth zeroed x's gradient between products

    /** Records T(z, x); {@code wantInputGradient} makes x a leaf so {@link #pullBack} can return ∂ℓ/∂x. */
    public Vjp(DeqCell cell, NDArray z, NDArray x, boolean wantInputGradient) {
        zLeaf = Autograd.leaf(z);
        ownsX = wantInputGradient && x != null;
        xLeaf = ownsX ? Autograd.leaf(x) : x;
        y = cell.apply(zLeaf, xLeaf);
    }

    /** Jᵀu (a new array the caller owns). */
    public NDArray apply(NDArray u) {
        if (pulled) throw new IllegalStateException("the graph was released by pullBack");
        Autograd.backward(y, u, true, false);
        NDArray raw = Autograd.gradient(zLeaf);
        NDArray out = raw.duplicate();
        raw.close();
        Autograd.zeroGrad(zLeaf);
        if (cotangentSum == null) {
            cotangentSum = u.duplicate();
            ai.djl.ndarray.NDScope.unregister(cotangentSum); // outlives the solver's per-iteration scope
        } else {
            cotangentSum.addi(u);
        }
        products++;
        return out;
    }

    /** Both parts of one product: (∂T/∂z)ᵀu and (∂T/∂x)ᵀu. */
    public record Both(NDArray z, NDArray x) {}

    /**
     * (∂T/∂z)ᵀu and (∂T/∂x)ᵀu from one backward pass (x must be a leaf: {@code wantInputGradient}). For a map whose
     * input x is itself a linear function of z (ODER's data gradient), the caller chains the second part. After this,
     * {@link #pullBack} no longer returns an input gradient.
     */
    public Both applyBoth(NDArray u) {
        if (!ownsX) throw new IllegalStateException("applyBoth needs x as a leaf (wantInputGradient)");
        inputProducts = true;
        NDArray gz = apply(u);
        NDArray raw = Autograd.gradient(xLeaf);
        NDArray gx = raw.duplicate();
        raw.close();
        Autograd.zeroGrad(xLeaf);
        return new Both(gz, gx);
    }

    /** T(z*, x) as recorded (for the fixed-point correction or JFB-style uses). */
    public NDArray output() { return y; }

    public int products() { return products; }

    /**
     * Adds gᵀ∂T/∂θ to the parameters' gradients and returns gᵀ∂T/∂x (or null when x was not a leaf, or after
     * {@link #applyBoth}). Releases the
     * graph; call once, last.
     */
    public NDArray pullBack(NDArray g) {
        if (pulled) throw new IllegalStateException("pullBack called twice");
        pulled = true;
        NDArray c = cotangentSum == null ? g : g.sub(cotangentSum);
        Autograd.backward(y, c, false, false);
        if (c != g) c.close();
        if (!ownsX || inputProducts) return null;
        return xLeaf.getGradient().duplicate(); // the products' x-gradients cancelled by the same subtraction
    }

    @Override
    public void close() {
        if (cotangentSum != null) cotangentSum.close();
        y.close();
        zLeaf.close();
        if (ownsX) xLeaf.close();
    }
}
