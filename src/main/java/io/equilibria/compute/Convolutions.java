package io.equilibria.compute;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.pytorch.jni.JniUtils;

/**
 * 2-D convolutions that keep oneDNN's blocked kernels away from channel counts they get wrong.
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
 * <p>{@link #conv2d} pads with zero channels instead: input channels (more than one) to a multiple of 16 always, and
 * output channels to a multiple of 16 when a graph is being recorded (the wrong part is the backward pass; the padded
 * outputs are sliced off, so their gradient is zero). A model with 16 channels pays only for its single-channel
 * adjoint convolutions, and only while training.
 */
public final class Convolutions {
    /** Channel multiple that is a whole number of oneDNN blocks for AVX2 (8) and AVX-512 (16). */
    static final int BLOCK = 16;

    private static final Shape ONE = new Shape(1, 1);

    private Convolutions() {}

    /** A convolution (no bias, dilation 1, one group) of x (B, Cin, H, W) with k (Cout, Cin, kh, kw), padded as above. */
    public static NDArray conv2d(NDArray x, NDArray k, Shape stride, Shape padding) {
        if (x.getDataType() != DataType.FLOAT32) return plain(x, k, stride, padding); // oneDNN runs float32 only
        Shape ks = k.getShape();
        long out = ks.get(0), in = ks.get(1);
        NDArray xp = x, kp = k;
        if (in > 1 && in % BLOCK != 0) {
            long extra = roundUp(in) - in;
            Shape xs = x.getShape();
            xp = x.concat(x.getManager().zeros(new Shape(xs.get(0), extra, xs.get(2), xs.get(3)), x.getDataType()), 1);
            kp = k.concat(k.getManager().zeros(new Shape(out, extra, ks.get(2), ks.get(3)), k.getDataType()), 1);
        }
        boolean padOut = out % BLOCK != 0 && JniUtils.isGradMode();
        if (padOut) {
            Shape kps = kp.getShape();
            kp = kp.concat(k.getManager().zeros(new Shape(roundUp(out) - out, kps.get(1), kps.get(2), kps.get(3)), k.getDataType()), 0);
        }
        NDArray y = plain(xp, kp, stride, padding);
        return padOut ? y.get(new NDIndex(":, :{}", out)) : y;
    }

    private static NDArray plain(NDArray x, NDArray k, Shape stride, Shape padding) {
        return Conv2d.conv2d(x, k, null, stride, padding, ONE, 1).singletonOrThrow();
    }

    private static long roundUp(long channels) {
        return (channels + BLOCK - 1) / BLOCK * BLOCK;
    }
}
