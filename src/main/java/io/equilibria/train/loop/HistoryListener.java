package io.equilibria.train.loop;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The per-epoch summaries and the training time, both continued from a checkpoint on resume. */
public final class HistoryListener implements TrainingListener<Object> {
    private final List<Map<String, Object>> history = new ArrayList<>();
    private final long t0 = System.nanoTime();
    private double previousSeconds;

    /** Continues a resumed run: its history and the seconds it had taken. */
    public void resume(List<Map<String, Object>> earlier, double seconds) {
        history.addAll(earlier);
        previousSeconds = seconds;
    }

    @Override
    public void onEpochEnd(Epoch e) {
        history.add(e.summary());
    }

    public List<Map<String, Object>> history() { return history; }

    /** Training time so far, including the runs this one resumed. */
    public double seconds() { return previousSeconds + (System.nanoTime() - t0) / 1e9; }

    /** The last epoch's value under {@code key}, or null before the first epoch. */
    @SuppressWarnings("unchecked")
    public Map<String, Object> last(String key) {
        return history.isEmpty() || !(history.get(history.size() - 1).get(key) instanceof Map<?, ?> m) ? null : (Map<String, Object>) m;
    }
}
