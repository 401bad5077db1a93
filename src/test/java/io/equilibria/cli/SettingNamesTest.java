package io.equilibria.cli;

import io.equilibria.errors.Setting;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The core names settings by concept; the CLI says which of its flags is meant. */
class SettingNamesTest {
    @Test
    void aSettingsPhraseGetsItsFlagOnce() {
        String m = "the memory budget 600 MiB is too small; rerun with a lower the memory budget";
        String once = Setting.annotate(m, ReconstructOptions::flag);
        assertEquals("the memory budget (--max-memory) 600 MiB is too small; rerun with a lower the memory budget (--max-memory)", once);
        assertEquals(once, Setting.annotate(once, ReconstructOptions::flag), "annotating twice changes nothing");
        assertEquals("the model's card", Setting.annotate("the model's card", ReconstructOptions::flag), "only the phrase as words of its own");
        assertEquals("the model takes 28x28 images", Setting.annotate("the model takes 28x28 images", x -> x == Setting.MODEL ? "model" : null),
                "a name that only repeats the phrase adds nothing");
    }

    @Test
    void everySettingIsNamedByAPhraseNoOtherContains() {
        for (Setting a : Setting.values()) {
            for (Setting b : Setting.values()) {
                if (a != b) assertTrue(!b.phrase().matches("(.*\\W)?" + java.util.regex.Pattern.quote(a.phrase()) + "(\\W.*)?"),
                        a + " is part of " + b + ": annotating one would split the other");
            }
        }
    }

    @Test
    void reconstructErrorsNameTheFlag() {
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buf, true));
        int rc;
        try {
            rc = Main.run("reconstruct", "deblur", "--input", "sample-images/cell_blurred.tif", "--psf", "gaussian:2", "--method", "rl",
                    "--model", "deq-deblur", "--output", "target/never.tif");
        } finally {
            System.setErr(err);
        }
        assertEquals(ExitCodes.USAGE, rc);
        assertTrue(buf.toString().contains("the model (--model) applies only to the learned methods"), buf.toString());
    }
}
