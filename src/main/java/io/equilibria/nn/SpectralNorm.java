package io.equilibria.nn;

import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import io.equilibria.compute.Tensors;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Random;

/**
 * Spectral normalisation of a weight by power iteration with persistent vectors (Miyato et al. 2018; torch
 * {@code spectral_norm}): the normalised weight is {@code W · min(1, c / σ̂)} with {@code σ̂ = uᵀ(A_W v)}, computed
 * with the autograd graph through W while u and v are detached, so training through it differentiates the
 * rescaling as torch does.
 *
 * <p>Two modes. {@link Mode#MATRIX}: A_W is W reshaped to (out, in·kh·kw); exact for linear weights, but for a
 * convolution it is not a bound on the operator norm. {@link Mode#OPERATOR}: A_W is the 2-D convolution itself
 * (stride 1, the given zero padding) on inputs of one (1, Cin, H, W) patch, with its adjoint, as in Ryu et al. 2019
 * (PnP with properly trained denoisers); this is what keeps a CNN map contractive. With zero padding the norm on a
 * finite H×W patch is a slight underestimate of the norm on larger images (the patch operator is a restriction of
 * the larger one). The gap shrinks like 1/H²: {@code SpectralNormTest} measures, for a random 2→3-channel 3×3
 * kernel, 7% below the whole-plane norm at 8×8, 2% at 16×16 and 0.5% at 32×32; choose the patch (or a bound c a
 * little under the wanted constant) accordingly.
 *
 * <p>A 5-D weight (out, in, kd, kh, kw) is a 3-D convolution of (1, Cin, D, H, W) patches ({@link Builder#inputSize(int,
 * int, int)}, {@link Builder#padding(int, int, int)}); its adjoint is again a convolution, with the kernel flipped in all
 * three axes and in/out channels swapped. With three cut axes instead of two, a patch of a given side falls further
 * below the whole-space norm than a 2-D one: {@code SpectralNormTest} measures it for 3-D patches.
 *
 * <p>The vectors (and σ̂) live on a sub-manager of the weight's manager, so they are released with the model, and
 * every intermediate of a call is closed by an {@link NDScope}: repeated calls do not grow any manager. One object
 * serves one weight; if that weight moves to another device or type the vectors follow it. Not thread-safe.
 *
 * <p>Every training call advances the vectors, so inside a deep-equilibrium solve (many calls per optimiser step) the
 * normalised weight would drift slightly between iterations: run the solve with {@code update = false} and update in
 * the one call that is differentiated, or use {@code powerIterations(0)} and {@link #estimate} between steps.
 */
public final class SpectralNorm implements AutoCloseable {
    public enum Mode { MATRIX, OPERATOR }

    private static final double EPS = 1e-12;

    private final Mode mode;
    private final double bound;
    private final int powerIterations;
    private final int depth;
    private final int height;
    private final int width;
    private final int padD;
    private final int padH;
    private final int padW;
    private final long seed;

    private NDManager manager;
    private NDArray u;      // left vector: (out, 1) or one output (1, Cout, H', W')
    private NDArray v;      // right vector: (K, 1) or one input (1, Cin, H, W)
    private NDArray sigmaArray; // last σ̂, kept as a tensor so a forward never waits for the device
    private double sigmaValue = Double.NaN;
    /**
     * The normalised weight of the last inference call with a frozen weight (no gradient attached, no update, grad mode
     * off), with the weight and vectors it was computed from: reused while they are the same arrays. Why: recomputing
     * it cost a small convolution per layer per call, 35% of a tiled 1024² denoiser's time. The cached array belongs
     * to this object (callers must not close it); a weight changed in place without a gradient is not detected.
     */
    private NDArray cached;
    private NDArray cachedWeight, cachedU, cachedV;

    private SpectralNorm(Builder b) {
        this.mode = b.mode;
        this.bound = b.bound;
        this.powerIterations = b.powerIterations;
        this.depth = b.depth;
        this.height = b.height;
        this.width = b.width;
        this.padD = b.padD;
        this.padH = b.padH;
        this.padW = b.padW;
        this.seed = b.seed;
    }

    public static Builder builder() {
        return new Builder();
    }

    public Mode mode() {
        return mode;
    }

    public double bound() {
        return bound;
    }

    /**
     * The normalised weight {@code W · min(1, c/σ̂)}, a new array (in the caller's {@link NDScope} if there is one)
     * whose graph runs through {@code weight}. With {@code update} the persistent vectors first take
     * {@code powerIterations} steps, as in a training forward; without it they are left alone, so inference is
     * deterministic and a loaded model reproduces the saved normalised weights.
     */
    public NDArray normalize(NDArray weight, boolean update) {
        boolean frozen = !update && !weight.hasGradient() && !ai.djl.pytorch.jni.JniUtils.isGradMode();
        if (frozen && cached != null && !cached.isReleased() && cachedWeight == weight && cachedU == u && cachedV == v) return cached;
        NDArray result;
        try (NDScope ignored = new NDScope()) {
            ensureVectors(weight);
            if (update && powerIterations > 0) {
                NDArray w = weight.stopGradient();
                for (int i = 0; i < powerIterations; i++) step(w);
            }
            NDArray sigma = u.mul(apply(weight, v)).sum(); // graph through W only: u, v are leaves
            keepSigma(sigma.stopGradient());
            // min(1, c/σ̂) = 1 / max(1, σ̂/c): a tensor expression, so no host synchronisation per forward. The
            // constants are engine-owned tensors, not Java numbers: autograd keeps them for the backward pass (see
            // Scalars.constant), and DJL's number overloads would leave it pointing at freed memory.
            result = weight.div(sigma.div(io.equilibria.compute.Scalars.constant(sigma, bound)).maximum(io.equilibria.compute.Scalars.constant(sigma, 1.0)));
            NDScope.unregister(result);
        }
        if (frozen) {
            // inference with a frozen weight: the same inputs give the same array, so keep it (see the field)
            cached = keep(result, cached);
            cachedWeight = weight;
            cachedU = u;
            cachedV = v;
            return cached;
        }
        NDScope.register(result);
        return result;
    }

    /**
     * Runs up to {@code iterations} power steps on the detached weight and returns σ̂, stopping early once σ̂ changes
     * by less than 1e-10 (float64) or 1e-6 (float32) relative over 10 steps. Touches no gradient. Convolution
     * operators have clustered top singular values, so this can take hundreds of steps: σ̂ then approaches σ from
     * below, a little slower than for a generic matrix.
     */
    public double estimate(NDArray weight, int iterations) {
        double tol = weight.getDataType() == DataType.FLOAT64 ? 1e-10 : 1e-6;
        double previous = Double.NaN;
        try (NDScope ignored = new NDScope()) {
            ensureVectors(weight);
            NDArray w = weight.stopGradient();
            NDArray s = null;
            for (int i = 1; i <= iterations; i++) {
                // each step's temporaries are freed at once (kept to the end they held hundreds of MB for 3-D patches)
                NDArray next;
                try (NDScope perStep = new NDScope()) {
                    next = step(w);
                    NDScope.unregister(next);
                }
                if (s != null) {
                    NDScope.unregister(s);
                    s.close();
                }
                s = next;
                NDScope.register(s);
                if (i % 10 == 0 || i == iterations) { // read back only now and then: each read waits for the device
                    double now = scalar(s);
                    if (Math.abs(now - previous) <= tol * Math.abs(now)) break;
                    previous = now;
                }
            }
            keepSigma(s != null ? s : u.mul(apply(w, v)).sum()); // ‖A v‖ = uᵀ A v for the new u
        }
        return sigma();
    }

    /** The current estimate σ̂ of the weight's norm (before rescaling); NaN before the first call. */
    public double sigma() {
        if (sigmaArray != null) {
            sigmaValue = scalar(sigmaArray);
            sigmaArray.close();
            sigmaArray = null;
        }
        return sigmaValue;
    }

    /** One power step v ← Aᵀu/‖·‖, u ← Av/‖·‖ on a detached weight; returns ‖Av‖, the new uᵀAv. */
    private NDArray step(NDArray w) {
        setV(unit(adjoint(w, u)));
        NDArray av = apply(w, v);
        NDArray n = av.norm();
        setU(av.div(n.add(EPS)));
        return n;
    }

    /** A_W x (package-private for the adjoint tests). */
    NDArray apply(NDArray w, NDArray x) {
        if (mode == Mode.MATRIX) return w.reshape(w.getShape().get(0), -1).matMul(x);
        if (w.getShape().dimension() == 5) {
            return Conv3d.conv3d(x, w, null, new Shape(1, 1, 1), new Shape(padD, padH, padW), new Shape(1, 1, 1), 1)
                    .singletonOrThrow();
        }
        return Conv2d.conv2d(x, w, null, new Shape(1, 1), new Shape(padH, padW), new Shape(1, 1), 1)
                .singletonOrThrow();
    }

    /**
     * Aᵀy. The PyTorch engine of DJL has no transposed convolution, so for stride 1 the adjoint is the
     * cross-correlation with the kernel flipped in space and with in/out channels swapped, padded by k−1−p (in 3-D the
     * same with the kernel flipped in all three axes).
     */
    NDArray adjoint(NDArray w, NDArray y) {
        if (mode == Mode.MATRIX) return w.reshape(w.getShape().get(0), -1).transpose().matMul(y);
        Shape s = w.getShape();
        if (s.dimension() == 5) {
            NDArray flipped = w.flip(2, 3, 4).swapAxes(0, 1);
            return Conv3d.conv3d(y, flipped, null, new Shape(1, 1, 1),
                    new Shape(s.get(2) - 1 - padD, s.get(3) - 1 - padH, s.get(4) - 1 - padW), new Shape(1, 1, 1), 1).singletonOrThrow();
        }
        NDArray flipped = w.flip(2, 3).swapAxes(0, 1);
        return Conv2d.conv2d(y, flipped, null, new Shape(1, 1),
                new Shape(s.get(2) - 1 - padH, s.get(3) - 1 - padW), new Shape(1, 1), 1).singletonOrThrow();
    }

    private static NDArray unit(NDArray x) {
        return x.div(x.norm().add(EPS));
    }

    /** Creates the vectors on first use (seeded, so runs repeat) and moves them if the weight changed device/type. */
    private void ensureVectors(NDArray weight) {
        Shape s = weight.getShape();
        Shape us;
        Shape vs;
        if (mode == Mode.MATRIX) {
            us = new Shape(s.get(0), 1);
            vs = new Shape(s.size() / s.get(0), 1);
        } else if (s.dimension() == 5) {
            if (padD > s.get(2) - 1 || padH > s.get(3) - 1 || padW > s.get(4) - 1) {
                throw new IllegalArgumentException("padding " + padD + "x" + padH + "x" + padW + " exceeds kernel-1 for " + s);
            }
            vs = new Shape(1, s.get(1), depth, height, width);
            us = new Shape(1, s.get(0), depth + 2L * padD - s.get(2) + 1, height + 2L * padH - s.get(3) + 1,
                    width + 2L * padW - s.get(4) + 1);
        } else {
            if (s.dimension() != 4) throw new IllegalArgumentException("OPERATOR mode needs a 4-D (2-D conv) or 5-D (3-D conv) weight, got " + s);
            if (padH > s.get(2) - 1 || padW > s.get(3) - 1) {
                throw new IllegalArgumentException("padding " + padH + "x" + padW + " exceeds kernel-1 for " + s);
            }
            vs = new Shape(1, s.get(1), height, width);
            us = new Shape(1, s.get(0), height + 2L * padH - s.get(2) + 1, width + 2L * padW - s.get(3) + 1);
        }
        if (manager == null) manager = weight.getManager().newSubManager(weight.getDevice());
        if (u == null) {
            Random r = new Random(seed);
            setU(unit(gaussian(weight.getManager(), us, r).toType(weight.getDataType(), false)));
            setV(unit(gaussian(weight.getManager(), vs, r).toType(weight.getDataType(), false)));
        } else if (!u.getShape().equals(us) || !v.getShape().equals(vs)) {
            // e.g. parameters saved by a layer with another patch size or channel count
            throw new IllegalStateException("power vectors " + u.getShape() + ", " + v.getShape() + " do not fit weight "
                    + s + " (expected " + us + ", " + vs + ")");
        }
        if (!u.getDevice().equals(weight.getDevice()) || u.getDataType() != weight.getDataType()) {
            setU(u.toDevice(weight.getDevice(), true).toType(weight.getDataType(), false));
            setV(v.toDevice(weight.getDevice(), true).toType(weight.getDataType(), false));
        }
    }

    private static NDArray gaussian(NDManager m, Shape shape, Random r) {
        double[] d = new double[(int) shape.size()];
        for (int i = 0; i < d.length; i++) d[i] = r.nextGaussian();
        return Tensors.owned(m.create(d, shape));
    }

    /** Takes a new array out of the current scope, onto this object's manager, and closes what it replaces. */
    private NDArray keep(NDArray fresh, NDArray old) {
        NDScope.unregister(fresh);
        fresh.attach(manager);
        if (old != null && old != fresh) old.close();
        return fresh;
    }

    private void setU(NDArray a) {
        u = keep(a, u);
    }

    private void setV(NDArray a) {
        v = keep(a, v);
    }

    private void keepSigma(NDArray s) {
        sigmaArray = keep(s, sigmaArray);
    }

    private static double scalar(NDArray a) {
        try (NDArray d = a.toType(DataType.FLOAT64, true)) {
            return d.getDouble();
        }
    }

    /** Writes the vectors and σ̂ (nothing if the vectors do not exist yet). */
    public void save(DataOutputStream os) throws IOException {
        os.writeByte(mode.ordinal());
        os.writeBoolean(u != null);
        if (u == null) return;
        os.writeDouble(sigma());
        writeArray(os, u);
        writeArray(os, v);
    }

    /** Reads what {@link #save} wrote, onto a sub-manager of {@code m}. */
    public void load(NDManager m, DataInputStream is) throws IOException, MalformedModelException {
        int savedMode = is.readByte();
        if (savedMode != mode.ordinal()) {
            throw new MalformedModelException("spectral norm saved in mode " + Mode.values()[savedMode] + ", this one is " + mode);
        }
        if (!is.readBoolean()) return;
        double s = is.readDouble();
        if (manager == null) manager = m.newSubManager();
        try (NDScope ignored = new NDScope()) {
            setU(readArray(m, is));
            setV(readArray(m, is));
        }
        if (sigmaArray != null) sigmaArray.close();
        sigmaArray = null;
        sigmaValue = s;
    }

    private static void writeArray(DataOutputStream os, NDArray a) throws IOException {
        byte[] b = a.encode();
        os.writeInt(b.length);
        os.write(b);
    }

    private static NDArray readArray(NDManager m, DataInputStream is) throws IOException {
        byte[] b = new byte[is.readInt()];
        is.readFully(b);
        return NDArray.decode(m, b);
    }

    /** Releases the vectors now rather than with the weight's manager. */
    @Override
    public void close() {
        if (manager != null) manager.close();
        manager = null;
        u = v = sigmaArray = cached = cachedWeight = cachedU = cachedV = null;
    }

    public static final class Builder {
        private Mode mode = Mode.MATRIX;
        private double bound = 1.0;
        private int powerIterations = 1;
        private int depth = 16;
        private int height = 32;
        private int width = 32;
        private int padD = 1;
        private int padH = 1;
        private int padW = 1;
        private long seed = 0x5eedL;

        private Builder() {}

        public Builder mode(Mode m) {
            mode = m;
            return this;
        }

        /** The target bound c on the norm of the normalised weight (default 1). */
        public Builder bound(double c) {
            if (!(c > 0)) throw new IllegalArgumentException("bound must be positive, got " + c);
            bound = c;
            return this;
        }

        /** Power steps per training call (default 1; 0 updates only through {@link #estimate}). */
        public Builder powerIterations(int n) {
            if (n < 0) throw new IllegalArgumentException("powerIterations must be >= 0");
            powerIterations = n;
            return this;
        }

        /** OPERATOR mode: the spatial size of the input patch the norm is measured on (default 32×32). */
        public Builder inputSize(int h, int w) {
            if (h < 1 || w < 1) throw new IllegalArgumentException("input size must be positive");
            height = h;
            width = w;
            return this;
        }

        /**
         * OPERATOR mode, 3-D convolutions (5-D weights): the (depth, height, width) of the input patch the norm is
         * measured on (default 16×32×32; a 2-D convolution ignores the depth).
         */
        public Builder inputSize(int d, int h, int w) {
            if (d < 1) throw new IllegalArgumentException("input size must be positive");
            inputSize(h, w);
            depth = d;
            return this;
        }

        /** OPERATOR mode, 3-D convolutions: the zero padding along depth, height and width (default 1 each). */
        public Builder padding(int pd, int ph, int pw) {
            if (pd < 0) throw new IllegalArgumentException("padding must be >= 0");
            padding(ph, pw);
            padD = pd;
            return this;
        }

        /** OPERATOR mode: the convolution's zero padding (default 1, i.e. "same" for 3×3). */
        public Builder padding(int ph, int pw) {
            if (ph < 0 || pw < 0) throw new IllegalArgumentException("padding must be >= 0");
            padH = ph;
            padW = pw;
            return this;
        }

        /** Seed of the initial vectors. */
        public Builder seed(long s) {
            seed = s;
            return this;
        }

        public SpectralNorm build() {
            return new SpectralNorm(this);
        }
    }
}
