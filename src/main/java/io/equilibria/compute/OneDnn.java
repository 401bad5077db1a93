package io.equilibria.compute;

/**
 * Caps the instruction set of oneDNN, PyTorch's CPU kernel library, at AVX2 unless the user chose one. Why: on an AMD
 * EPYC with AVX-512 (this project's 2-core machines), every AVX-512 level (AVX512_CORE, _VNNI, _BF16, and the
 * default) made a tiny DEQ's training produce NaN at random iterations of its fixed-point solve (5 of 5 runs of the
 * same seeded command; 0 of 5 with AVX2), and a 10-layer DnCNN's training hit NaN twice in 10 000 steps. The cost:
 * a width-16 DnCNN call on 280² takes 0.037 s instead of 0.024 s there (one thread).
 *
 * <p>The cap is oneDNN's own environment variable {@code ONEDNN_MAX_CPU_ISA}, set in this process (through JNA's
 * libc {@code setenv}) before the engine loads; one the user exported is left alone, and
 * {@code -Dequilibria.onednn.isa=NAME} sets another (ALL: no cap). oneDNN reads it once, at its first kernel.
 */
public final class OneDnn {
    public static final String VARIABLE = "ONEDNN_MAX_CPU_ISA";
    static final String DEFAULT_CAP = "AVX2";

    private static volatile String outcome;
    private static volatile String capped; // the ISA in effect (set here or from the environment), or null

    private OneDnn() {}

    /** Sets the cap once per process, before the engine starts; returns what holds, for reports. */
    public static synchronized String capInstructionSet() {
        if (outcome != null) return outcome;
        LibC c = LibC.INSTANCE;
        if (c == null) return outcome = "oneDNN: default instruction set";
        try {
            String mine = c.getenv(VARIABLE);
            if (mine != null && !mine.isBlank()) {
                capped = mine.trim(); // e.g. inherited by a child process: the device line must still say it
                return outcome = "oneDNN: " + VARIABLE + "=" + mine + " (from the environment)";
            }
            String want = System.getProperty("equilibria.onednn.isa", DEFAULT_CAP).trim();
            if (want.isEmpty() || want.equalsIgnoreCase("default")) return outcome = "oneDNN: default instruction set";
            String isa = want.toUpperCase(java.util.Locale.ROOT);
            c.setenv(VARIABLE, isa, 0);
            capped = isa;
            return outcome = "oneDNN: instruction set capped at " + isa;
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            return outcome = "oneDNN: default instruction set (could not set " + VARIABLE + ": " + e.getMessage() + ")";
        }
    }

    /** The cap 3D training asks for: see {@link #capForVolumeTraining}. */
    public static final String VOLUME_TRAINING_CAP = "SSE41";

    /**
     * Asks for the {@link #VOLUME_TRAINING_CAP} unless the user chose an instruction set ({@code -Dequilibria.onednn.isa}
     * or {@code ONEDNN_MAX_CPU_ISA}); call it before the engine starts. Why: on this project's AMD EPYC, under the AVX2
     * cap (and with no cap) the weight gradients of 3×3×3 convolutions came out wrong for every layer but the last (a
     * relative error of about 1 against a float64 reference, while the forward loss agreed to 6 digits; some steps
     * NaN), under SSE4.1 and AVX within 1e-3 of it; the 2D DnCNN on a volume's plane batches saw NaN gradients under
     * AVX2 too. Returns true if the cap in effect (now or once the engine starts) is SSE4.1 or lower.
     */
    public static synchronized boolean capForVolumeTraining() {
        if (outcome == null && System.getProperty("equilibria.onednn.isa") == null) {
            LibC c = LibC.INSTANCE;
            String env = c == null ? null : c.getenv(VARIABLE);
            if (env == null || env.isBlank()) System.setProperty("equilibria.onednn.isa", VOLUME_TRAINING_CAP);
        }
        String isa = outcome == null ? (LibC.INSTANCE != null && LibC.INSTANCE.getenv(VARIABLE) != null
                ? LibC.INSTANCE.getenv(VARIABLE) : System.getProperty("equilibria.onednn.isa")) : capped;
        if (isa == null) return false;
        String u = isa.trim().toUpperCase(java.util.Locale.ROOT);
        return u.equals("SSE41") || u.equals("AVX");
    }

    /** What {@link #capInstructionSet()} did, or null before it ran. */
    public static String outcome() {
        return outcome;
    }

    /** The instruction set oneDNN is capped at (set here or found in the environment), or null (none, or before it ran). */
    public static String capped() {
        return capped;
    }
}
