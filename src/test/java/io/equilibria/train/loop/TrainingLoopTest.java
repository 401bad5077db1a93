package io.equilibria.train.loop;

import io.equilibria.errors.NumericalException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class TrainingLoopTest {
    record Loss(double loss) implements TrainingStep.Outcome {}

    /** Loss = global step, NaN at the given steps. */
    static TrainingStep<Loss> steps(List<Long> nan, List<String> calls) {
        return new TrainingStep<>() {
            @Override public void beginEpoch(int epoch) { calls.add("begin " + epoch); }

            @Override public Loss step(long global) { return new Loss(nan.contains(global) ? Double.NaN : global); }

            @Override public void endEpoch(Epoch e) { calls.add("end " + e.number()); }

            @Override public void summarise(Epoch e) {
                calls.add("summarise " + e.number());
                e.summary().put("validation", e.validation());
            }
        };
    }

    @Test
    void epochsResumeAtTheirGlobalStepAndSkippedStepsAreCounted() {
        List<String> calls = new ArrayList<>();
        List<TrainingListener.StepEnd<? extends Loss>> ends = new ArrayList<>();
        HistoryListener history = new HistoryListener();
        ValidationListener validation = new ValidationListener(() -> {
            calls.add("validate");
            return Map.of("psnr", 1.0);
        }, null);
        TrainingListener<Loss> record = new TrainingListener<>() {
            @Override public void onStepEnd(StepEnd<? extends Loss> s) { ends.add(s); }
        };
        new TrainingLoop<>(new TrainingLoop.Plan(3, 2, 5, true), steps(List.of(3L), calls),
                List.<TrainingListener<? super Loss>>of(validation, history, record)).run(1);
        assertEquals(List.of("begin 2", "end 2", "validate", "summarise 2", "begin 3", "end 3", "validate", "summarise 3"), calls);
        assertEquals(List.of(2L, 3L, 4L, 5L), ends.stream().map(TrainingListener.StepEnd::global).toList());
        assertTrue(ends.get(1).skipped());
        List<Map<String, Object>> h = history.history();
        assertEquals(List.of("epoch", "steps", "loss", "skippedSteps", "validation"), List.copyOf(h.get(0).keySet()));
        assertEquals(2.0, h.get(0).get("loss"), "the mean over the steps that were not skipped");
        assertEquals(6L, h.get(1).get("steps"));
        assertEquals(4.5, h.get(1).get("loss"));
        assertEquals(Map.of("psnr", 1.0), history.last("validation"));
    }

    @Test
    void tooManySkippedStepsInARowStopTheRun() {
        TrainingLoop<Loss> loop = new TrainingLoop<>(new TrainingLoop.Plan(1, 5, 3, false),
                steps(List.of(1L, 2L, 3L), new ArrayList<>()), List.of());
        NumericalException e = assertThrows(NumericalException.class, () -> loop.run(0));
        assertTrue(e.getMessage().contains("epoch 1, step 4 (3 steps in a row"), e.getMessage());
    }
}
