package io.equilibria.train.loop;

import java.util.Map;
import java.util.function.Supplier;

/** Evaluates the model at every epoch's end, on a fixed set the training never sees. */
public final class ValidationListener implements TrainingListener<Object> {
    private final Supplier<Map<String, Object>> validate;
    private Map<String, Object> last;

    /** @param last the validation of the epoch a resumed run starts after, or null */
    public ValidationListener(Supplier<Map<String, Object>> validate, Map<String, Object> last) {
        this.validate = validate;
        this.last = last;
    }

    @Override
    public void onValidation(Epoch e) {
        last = validate.get();
        e.validation(last);
    }

    /** The last epoch's validation; for a resumed run that had already finished, computed now. */
    public Map<String, Object> result() {
        if (last == null) last = validate.get();
        return last;
    }
}
