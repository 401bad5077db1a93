package io.equilibria.deq;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.MatrixUtils;
import org.apache.commons.math3.linear.RealMatrix;
import org.apache.commons.math3.linear.SingularValueDecomposition;

import java.util.Random;

/**
 * A float64 linear DEQ z = W z + U x in row form (samples are rows: Z = Z Wᵀ + X Uᵀ) with its closed forms:
 * Z* = X Uᵀ (I − W)⁻ᵀ, and for the loss ℓ = Σ C ⊙ Z*: G = C (I − W)⁻¹ (rows g_i = (I − Wᵀ)⁻¹ c_i),
 * ∂ℓ/∂X = G U, ∂ℓ/∂W = Gᵀ Z*, ∂ℓ/∂U = Gᵀ X.
 */
public final class LinearDeq {
    public final RealMatrix w, u, x, c;
    public final int d, p, n;

    public LinearDeq(int d, int p, int n, double norm, long seed) {
        this.d = d;
        this.p = p;
        this.n = n;
        Random r = new Random(seed);
        RealMatrix w0 = gaussian(r, d, d);
        double s = new SingularValueDecomposition(w0).getNorm();
        w = w0.scalarMultiply(norm / s);
        u = gaussian(r, d, p);
        x = gaussian(r, n, p);
        c = gaussian(r, n, d);
    }

    public static RealMatrix gaussian(Random r, int rows, int cols) {
        double[][] a = new double[rows][cols];
        for (double[] row : a) for (int j = 0; j < cols; j++) row[j] = r.nextGaussian();
        return new Array2DRowRealMatrix(a, false);
    }

    public RealMatrix iMinusWInverse() {
        return new LUDecomposition(MatrixUtils.createRealIdentityMatrix(d).subtract(w)).getSolver().getInverse();
    }

    public RealMatrix zStar() { return x.multiply(u.transpose()).multiply(iMinusWInverse().transpose()); }

    /** Rows g_i = Σ_{k<K} (Wᵀ)^k c_i, or the exact (I − Wᵀ)⁻¹ c_i when terms ≤ 0. */
    public RealMatrix cotangent(int terms) {
        if (terms <= 0) return c.multiply(iMinusWInverse());
        RealMatrix sum = c.copy(), term = c.copy();
        for (int k = 1; k < terms; k++) {
            term = term.multiply(w);
            sum = sum.add(term);
        }
        return sum;
    }

    public static NDArray nd(NDManager m, RealMatrix a) {
        double[] flat = new double[a.getRowDimension() * a.getColumnDimension()];
        for (int i = 0; i < a.getRowDimension(); i++) System.arraycopy(a.getRow(i), 0, flat, i * a.getColumnDimension(), a.getColumnDimension());
        return m.create(flat, new Shape(a.getRowDimension(), a.getColumnDimension()));
    }

    public static RealMatrix mat(NDArray a) {
        long[] s = a.getShape().getShape();
        double[] v = a.toType(DataType.FLOAT64, false).toDoubleArray();
        double[][] out = new double[(int) s[0]][(int) s[1]];
        for (int i = 0; i < s[0]; i++) System.arraycopy(v, (int) (i * s[1]), out[i], 0, (int) s[1]);
        return new Array2DRowRealMatrix(out, false);
    }

    public static double maxAbsDiff(RealMatrix a, RealMatrix b) {
        double m = 0;
        for (int i = 0; i < a.getRowDimension(); i++)
            for (int j = 0; j < a.getColumnDimension(); j++) m = Math.max(m, Math.abs(a.getEntry(i, j) - b.getEntry(i, j)));
        return m;
    }

    /** The cell T(Z; X) = Z Wᵀ + X Uᵀ on the given arrays. */
    public static DeqCell cell(NDArray wNd, NDArray uNd) {
        return (z, xx) -> z.matMul(wNd.transpose()).add(xx.matMul(uNd.transpose()));
    }
}
