package io.equilibria.reconstruct.oder;

import ai.djl.ndarray.NDArray;
import io.equilibria.physics.LinearOperator;
import io.equilibria.reconstruct.deq.DataTerm;
import io.equilibria.reconstruct.deq.DeqMap;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ODER's stochastic data term: every call draws, per problem, a fresh minibatch S of B of the operator's I blocks
 * and uses only those blocks' operators:
 * <ul>
 *   <li>{@code unbiased}: ∇̂g = Σ_{i∈S} A_iᵀ(A_i z − y_i) / π_i, whose mean over draws is the full ∇g;</li>
 *   <li>{@code raw}: ∇̂g = Σ_{i∈S} A_iᵀ(A_i z − y_i) (mean (B/I)∇g for uniform draws) with RED's τ multiplied by B/I,
 *       so the expected map has the full-batch fixed point; the step on both terms is then effectively γB/I.
 *       This is the un-rescaled variant with τ re-tuned of the public demo.</li>
 * </ul>
 * Each call restricts the operator to the drawn blocks ([A_i; A_j; …]: a few OTF slices or sensing-matrix rows
 * copied, negligible next to the products) and frees it afterwards, so memory stays that of one minibatch. Blocks of
 * equal weight are applied together (one FFT of z for all drawn frames). With B = I the original operator itself is
 * used, so ODER then computes exactly the full-batch map.
 */
public final class MinibatchData implements DataTerm, AutoCloseable {
    public enum Scaling {
        UNBIASED, RAW;

        public static Scaling parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(java.util.Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown scaling '" + s + "' (use unbiased or raw)");
            }
        }

        @Override public String toString() { return name().toLowerCase(java.util.Locale.ROOT); }
    }

    private final List<LinearOperator> ops;
    private final List<NDArray> ys;
    private final BlockSampler[] samplers;
    private final Scaling scaling;
    private final SplittableRandom random;
    private final long seed;
    private long calls, blocksUsed, blocksTotal;
    private final double[] curvatures;
    /** Per problem: the restricted operator and measurements of every possible draw, when there are few (else empty). */
    private final List<Map<String, Restricted>> cache = new ArrayList<>();

    private record Restricted(LinearOperator op, NDArray y) {}

    /** Draws are cached when at most this many are possible and the cache stays under ~CACHE_FLOATS values. */
    static final int CACHE_DRAWS = 64;
    static final long CACHE_FLOATS = 1L << 25;

    public MinibatchData(List<LinearOperator> ops, List<NDArray> ys, BlockSampler.Kind kind, int batch, Scaling scaling, long seed) {
        if (ops.size() != ys.size()) throw new IllegalArgumentException(ops.size() + " operators but " + ys.size() + " measurements");
        this.ops = ops;
        this.ys = ys;
        this.scaling = scaling;
        this.seed = seed;
        this.random = new SplittableRandom(seed);
        samplers = new BlockSampler[ops.size()];
        curvatures = new double[ops.size()];
        for (int i = 0; i < ops.size(); i++) samplers[i] = new BlockSampler(kind, ops.get(i).blockCount(), batch);
        // the restricted operators of every possible draw, built once here (outside any solver scope) when few and
        // small: restricting per call copies OTF slices / matrix rows and made a 2-of-8 call cost 0.5-1.0 of a full one
        for (int i = 0; i < ops.size(); i++) {
            Map<String, Restricted> m = new java.util.HashMap<>();
            cache.add(m);
            List<int[]> draws = samplers[i].batch() < samplers[i].total() ? samplers[i].allDraws(CACHE_DRAWS) : null;
            LinearOperator a = ops.get(i);
            long floats = draws == null ? Long.MAX_VALUE : (long) draws.size() * batch * a.domainShape().size() * 2;
            if (draws == null || floats > CACHE_FLOATS) continue;
            for (int[] d : draws) m.put(Arrays.toString(d), new Restricted(a.restrict(d), a.measurementsOf(ys.get(i), d)));
        }
    }

    @Override
    public NDArray gradient(NDArray z) {
        return DeqMap.perProblem(z, i -> estimate(i, z.get(i).reshape(ops.get(i).domainShape()), true));
    }

    @Override
    public NDArray normal(NDArray u) {
        return DeqMap.perProblem(u, i -> estimate(i, u.get(i).reshape(ops.get(i).domainShape()), false));
    }

    @Override
    public double priorScale() {
        return scaling == Scaling.RAW ? (double) samplers[0].batch() / samplers[0].total() : 1;
    }

    @Override
    public boolean deterministic() {
        for (BlockSampler s : samplers) if (s.batch() < s.total()) return false;
        return true;
    }

    /** Σ_{i∈S} w_i A_iᵀ(A_i z − y_i) (or without y for the normal product) for a fresh draw S. */
    private NDArray estimate(int problem, NDArray z, boolean withData) {
        BlockSampler.Draw d = samplers[problem].draw(random);
        calls++;
        blocksUsed += d.blocks().length;
        blocksTotal += samplers[problem].total();
        LinearOperator a = ops.get(problem);
        NDArray y = withData ? ys.get(problem) : null;
        if (d.all(samplers[problem].total())) return DataTerm.scaled(a, DataTerm.residualGradient(a, z, y));
        // group the draw by weight: uniform draws have one group, uneven strata at most two
        Map<Double, List<Integer>> byWeight = new LinkedHashMap<>();
        for (int k = 0; k < d.blocks().length; k++) {
            double w = scaling == Scaling.RAW ? 1.0 : 1.0 / d.inclusion()[k];
            byWeight.computeIfAbsent(w, x -> new ArrayList<>()).add(d.blocks()[k]);
        }
        NDArray sum = null;
        for (Map.Entry<Double, List<Integer>> e : byWeight.entrySet()) {
            int[] blocks = e.getValue().stream().mapToInt(Integer::intValue).toArray();
            NDArray part;
            Restricted cached = cache.get(problem).get(Arrays.toString(blocks));
            if (cached != null) {
                part = DataTerm.residualGradient(cached.op(), z, withData ? cached.y() : null);
            } else try (LinearOperator sub = a.restrict(blocks)) {
                NDArray yS = withData ? a.measurementsOf(y, blocks) : null;
                part = DataTerm.residualGradient(sub, z, yS);
                if (yS != null) yS.close();
                part.attach(z.getManager()); // outlives the restricted operator's manager
            }
            if (e.getKey() != 1.0) part = part.mul(e.getKey());
            sum = sum == null ? part : sum.add(part);
        }
        return DataTerm.scaled(a, sum);
    }

    /**
     * The largest curvature of a draw's estimate, c·max_S ‖Σ_{i∈S} w_i A_iᵀA_i‖, estimated by power iteration on a few
     * draws from a separate generator (the minibatch sequence is unaffected). Unbiased weights make it up to I/B times
     * the full batch's (row groups of orthonormal CS rows: exactly I/B), which is why ODER takes smaller steps.
     */
    @Override
    public double curvature(int problem) {
        if (curvatures[problem] > 0) return curvatures[problem];
        LinearOperator a = ops.get(problem);
        BlockSampler sampler = samplers[problem];
        SplittableRandom r = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
        double worst = 0;
        int draws = sampler.batch() == sampler.total() ? 1 : 4;
        for (int k = 0; k < draws; k++) {
            BlockSampler.Draw d = sampler.draw(r);
            double w = scaling == Scaling.RAW ? 1.0 : 1.0 / Arrays.stream(d.inclusion()).min().orElse(1.0);
            try (LinearOperator sub = d.all(sampler.total()) ? null : a.restrict(d.blocks())) {
                worst = Math.max(worst, DataTerm.curvatureOf(sub != null ? sub : a, a.dataScale(), ys.get(problem).getManager(), w));
            }
        }
        curvatures[problem] = worst;
        return worst;
    }

    /** Blocks applied so far over blocks a full batch would have applied (≈ B/I). */
    public double blockFraction() { return blocksTotal == 0 ? Double.NaN : (double) blocksUsed / blocksTotal; }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("data", "minibatch (ODER)");
        m.put("blocks", samplers[0].total());
        m.put("blocksPerIteration", samplers[0].batch());
        m.put("sampling", samplers[0].kind().toString());
        m.put("scaling", scaling.toString());
        m.put("seed", seed);
        m.put("dataCalls", calls);
        m.put("blockFraction", blockFraction());
        return m;
    }

    /** Frees the cached restricted operators. */
    @Override
    public void close() {
        for (Map<String, Restricted> m : cache) {
            for (Restricted r : m.values()) {
                r.op().close();
                r.y().close();
            }
            m.clear();
        }
    }
}
