package io.equilibria.reconstruct.methods;

import io.equilibria.solvers.IterationListener;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.equilibria.compute.Tensors;
import io.equilibria.image.ImageData;
import io.equilibria.errors.InputException;
import io.equilibria.image.Normalization;
import io.equilibria.image.Plane;
import io.equilibria.metrics.ImageMetrics;
import io.equilibria.physics.LinearOperator;

import java.util.ArrayList;
import java.util.List;

/**
 * With a known ground truth, the PSNR after every iteration (data range: the reference's max − min), so a user
 * can pick the best iteration count of an early-stopped method such as RL. Inactive without a reference.
 */
final class PsnrTrace {
    private final NDArray reference;   // in normalised units
    private final double range;        // in normalised units
    private final LinearOperator a;
    private final List<Double> psnr = new ArrayList<>();

    private PsnrTrace(NDArray reference, double range, LinearOperator a) {
        this.reference = reference;
        this.range = range;
        this.a = a;
    }

    static PsnrTrace of(ImageData reference, int plane, Normalization norm, LinearOperator a, NDManager manager) {
        if (reference == null) return new PsnrTrace(null, 0, a);
        // one reference plane serves every plane; otherwise each plane needs its own, never a substitute
        if (reference.size() != 1 && plane >= reference.size()) {
            throw new InputException("reference has " + reference.size() + " planes; plane " + (plane + 1) + " has none");
        }
        Plane ref = reference.plane(reference.size() == 1 ? 0 : plane);
        ai.djl.ndarray.types.Shape field = a.rangeShape();
        long h = field.get(field.dimension() - 2), w = field.get(field.dimension() - 1);
        if (ref.width() != w || ref.height() != h) {
            throw new InputException("reference is " + ref.width() + "x" + ref.height() + " but the image is " + w + "x" + h);
        }
        return new PsnrTrace(Tensors.of(manager, norm.forward(ref)), ImageMetrics.dataRange(ref) / norm.scale(), a);
    }

    /** The trace of a 3D solve: the reference is a volume of the same size as the field of view. */
    static PsnrTrace ofVolume(ImageData reference, Normalization norm, LinearOperator a, NDManager manager) {
        if (reference == null) return new PsnrTrace(null, 0, a);
        long[] field = a.rangeShape().getShape();
        if (reference.size() != field[0] || reference.width() != field[2] || reference.height() != field[1]) {
            throw new InputException("reference is " + reference.width() + "x" + reference.height() + "x" + reference.size()
                    + " but the volume is " + field[2] + "x" + field[1] + "x" + field[0]);
        }
        List<Plane> planes = new ArrayList<>();
        float lo = Float.POSITIVE_INFINITY, hi = Float.NEGATIVE_INFINITY;
        for (Plane p : reference.planes()) {
            planes.add(norm.forward(p));
            lo = Math.min(lo, p.min());
            hi = Math.max(hi, p.max());
        }
        return new PsnrTrace(Tensors.stack(manager, planes), (hi - lo) / norm.scale(), a);
    }

    IterationListener wrap(IterationListener inner) {
        if (reference == null) return inner;
        return (k, max, x, change) -> {
            try (NDScope s = new NDScope()) {
                NDArray d = a.toImage(x).sub(reference);
                double mse = Tensors.dot(d, d) / d.getShape().size();
                psnr.add(10 * Math.log10(range * range / mse));
            }
            return inner.onIteration(k, max, x, change);
        };
    }

    /** The trace so far (null without a reference), and the reference is released. */
    io.equilibria.reconstruct.report.PsnrSummary summary() {
        if (reference == null) return null;
        reference.close();
        return io.equilibria.reconstruct.report.PsnrSummary.of(psnr);
    }
}
