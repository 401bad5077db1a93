package io.equilibria.compute;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.convolutional.Conv3d;
import ai.djl.pytorch.jni.JniUtils;

/**
 * 2-D and 3-D convolutions that keep oneDNN's blocked kernels away from channel counts they get wrong.
 *
 * <p>PyTorch runs a float32 convolution of a batch larger than one through oneDNN, which stores channels in blocks
 * of 8 (AVX2) or 16 (AVX-512). On this project's AMD EPYC (PyTorch 2.7.1, DJL 0.35.1) a count that is not a whole
 * number of blocks gives wrong results, measured against float64 (which does not use oneDNN):
 * <ul>
 *   <li>the <b>input gradient</b> when the <b>output</b> channels are not a multiple of the block: 16 → 1, 16 → 3,
 *       16 → 12, 3 → 3 gave relative errors 0.3–0.9 or NaN (garbage, different from call to call) under the AVX2 cap
 *       and without a cap; 16 → 8 was right under AVX2 but not under AVX-512, 16 → 16 and 16 → 32 were right under
 *       both. The forward values and the weight gradients were right (1e-7, 1e-6);</li>
 *   <li>the <b>forward</b> values when the <b>input</b> channels exceed a few and are not a multiple of the block:
 *       12 → 16 under AVX2 and 24 → 16 under AVX-512 were off by 0.4; 1 to 8 input channels were right.</li>
 * </ul>
 * Under the AVX and SSE4.1 caps every case was right (1e-7), at about twice the time per step. Batches of one take
 * another path and were right.
 *
 * <p>The learned denoisers showed the same (batch 2, 24×24 or 10×12×12, float32 against float64 on the same weights,
 * AVX2 cap): the last convolution of a DnCNN (16 or 32 → 1, 2-D and 3×3×3) and the U-Net's tail (16 → 1) gave input
 * gradients off by 0.9 or NaN, so dx and the weight gradients of every layer but the last were off by 0.1–1.2. Their
 * other convolutions (2 → 16/32, 16 → 16, 32 → 32, the U-Net's 2×2 stride-2 and 1×1 ones, all to multiples of 16)
 * were right, and so were batches of one (the spectral norms' power iterations). Without a cap 2 → 8 and 16 → 8 were
 * wrong too (input gradient 0.6), and 24 → 16 forward (0.4); 12 → 16 forward was right there.
 *
 * <p>{@link #conv2d} and {@link #conv3d} pad with zero channels instead: input channels to a multiple of 16 when
 * there are more than 8 (up to 8 were right under every cap; not padding them keeps a denoiser's first, 2-channel
 * layer as it was), and output channels to a multiple of 16 when a graph is being recorded (the wrong part is the
 * backward pass; the padded outputs are sliced off, so their gradient is zero, and a bias is padded with zeros). A
 * model with 16 channels pays only for its single-channel convolutions, and only while training.
 */
public final class Convolutions {
    /** Channel multiple that is a whole number of oneDNN blocks for AVX2 (8) and AVX-512 (16). */
    static final int BLOCK = 16;
    /** Input channel counts up to this were right under every cap, so they are not padded. */
    static final int SMALL_INPUT = 8;

    private static final Shape ONE = new Shape(1, 1);
    private static final Shape ONE3 = new Shape(1, 1, 1);

    private Convolutions() {}

    /** A convolution (no bias, dilation 1, one group) of x (B, Cin, H, W) with k (Cout, Cin, kh, kw), padded as above. */
    public static NDArray conv2d(NDArray x, NDArray k, Shape stride, Shape padding) {
        return conv(x, k, null, stride, padding);
    }

    /** As {@link #conv2d(NDArray, NDArray, Shape, Shape)}, with a bias (Cout) or null. */
    public static NDArray conv2d(NDArray x, NDArray k, NDArray bias, Shape stride, Shape padding) {
        if (k.getShape().dimension() != 4) throw new IllegalArgumentException("conv2d needs a (Cout, Cin, kh, kw) kernel, got " + k.getShape());
        return conv(x, k, bias, stride, padding);
    }

    /** A 3-D convolution (dilation 1, one group) of x (B, Cin, D, H, W) with k (Cout, Cin, kd, kh, kw) and a bias or null, padded as above. */
    public static NDArray conv3d(NDArray x, NDArray k, NDArray bias, Shape stride, Shape padding) {
        if (k.getShape().dimension() != 5) throw new IllegalArgumentException("conv3d needs a (Cout, Cin, kd, kh, kw) kernel, got " + k.getShape());
        return conv(x, k, bias, stride, padding);
    }

    private static NDArray conv(NDArray x, NDArray k, NDArray bias, Shape stride, Shape padding) {
        if (x.getDataType() != DataType.FLOAT32) return plain(x, k, bias, stride, padding); // oneDNN runs float32 only
        long out = k.getShape().get(0), in = k.getShape().get(1);
        NDArray xp = x, kp = k, bp = bias;
        if (in > SMALL_INPUT && in % BLOCK != 0) {
            long extra = roundUp(in) - in;
            xp = x.concat(x.getManager().zeros(withAxis(x.getShape(), 1, extra), x.getDataType()), 1);
            kp = k.concat(k.getManager().zeros(withAxis(k.getShape(), 1, extra), k.getDataType()), 1);
        }
        boolean padOut = out % BLOCK != 0 && JniUtils.isGradMode();
        if (padOut) {
            long extra = roundUp(out) - out;
            kp = kp.concat(k.getManager().zeros(withAxis(kp.getShape(), 0, extra), k.getDataType()), 0);
            if (bias != null) bp = bias.concat(bias.getManager().zeros(new Shape(extra), bias.getDataType()), 0);
        }
        NDArray y = plain(xp, kp, bp, stride, padding);
        return padOut ? y.get(new NDIndex(":, :{}", out)) : y;
    }

    private static NDArray plain(NDArray x, NDArray k, NDArray bias, Shape stride, Shape padding) {
        return k.getShape().dimension() == 5
                ? Conv3d.conv3d(x, k, bias, stride, padding, ONE3, 1).singletonOrThrow()
                : Conv2d.conv2d(x, k, bias, stride, padding, ONE, 1).singletonOrThrow();
    }

    /** {@code s} with axis {@code axis} replaced by {@code n}. */
    private static Shape withAxis(Shape s, int axis, long n) {
        long[] d = s.getShape().clone();
        d[axis] = n;
        return new Shape(d);
    }

    private static long roundUp(long channels) {
        return (channels + BLOCK - 1) / BLOCK * BLOCK;
    }
}
