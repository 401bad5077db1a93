package io.equilibria.batch;

import io.equilibria.errors.Setting;

import java.util.ArrayList;
import java.util.List;

/**
 * Shard {@code index} of {@code count} (1-based, "3/8"): the jobs at positions index−1, index−1+count, … of the sorted
 * job list. Round robin rather than contiguous blocks so neighbouring files (often similar in size) spread evenly;
 * the list is sorted by relative path, so n jobs started with the same arguments cover the batch exactly once.
 */
public record Shard(int index, int count) {
    public static final Shard ALL = new Shard(1, 1);

    public Shard {
        if (count < 1 || index < 1 || index > count) {
            throw new IllegalArgumentException(Setting.SHARD + " must be i/n with 1 <= i <= n, got " + index + "/" + count
                    + (index == 0 ? " (shards count from 1; with a 0-based SLURM array pass $((SLURM_ARRAY_TASK_ID+1))/n)" : ""));
        }
    }

    public static Shard parse(String spec) {
        if (spec == null) return ALL;
        String[] p = spec.trim().split("/");
        try {
            if (p.length == 2) return new Shard(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
        } catch (NumberFormatException ignored) {
            // fall through to the message below
        }
        throw new IllegalArgumentException(Setting.SHARD + " must look like i/n (e.g. 3/8), got '" + spec + "'");
    }

    public <T> List<T> select(List<T> sorted) {
        List<T> mine = new ArrayList<>();
        for (int i = index - 1; i < sorted.size(); i += count) mine.add(sorted.get(i));
        return mine;
    }

    public boolean isAll() { return count == 1; }

    @Override public String toString() { return index + "/" + count; }
}
