package io.equilibria.cli;

import io.equilibria.image.AtomicFiles;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.registration.Motion;
import io.equilibria.image.registration.RegistrationSpec;
import io.equilibria.image.registration.StackRegistration;
import io.equilibria.image.registration.Transform2d;
import io.equilibria.batch.BatchPlan;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code register --input frames.tif --output aligned.tif [--transforms t.json]}: aligns the frames of a stack to one
 * of them with OpenCV (phase correlation, ECC), writes the aligned stack and the transforms, and refuses frames it
 * cannot register with confidence.
 */
final class RegisterCommand implements Command {
    @Override public String name() { return "register"; }
    @Override public String summary() { return "align the frames of a stack (drift, rotation) with OpenCV; writes the aligned stack and the transforms"; }

    @Override
    public Options options() {
        return RegistrationArgs.addTo(new Options()
                .addOption(Args.required("input", "FRAMES", "a stack of frames (multi-view or time-lapse) as one TIFF"))
                .addOption(Args.required("output", "ALIGNED", "the aligned stack (32-bit TIFF, the input's calibration)"))
                .addOption(Args.opt("transforms", "T.json", "write each frame's transform (reference pixel -> frame pixel, 2x3 matrix), "
                        + "its confidence and the motion")), "");
    }

    @Override
    public int run(CommandLine l) {
        Path in = Args.path(l, "input"), out = Args.path(l, "output");
        BatchPlan.guard(in, out);
        RegistrationSpec spec = RegistrationArgs.parse(l);
        Motion motion = spec.motion();
        int reference = spec.referenceFrame() + 1;
        ImageData frames = ImageFiles.read(in);
        ImageFiles.requireFinite(frames, in.toString());
        if (reference > frames.size()) throw new UsageException("--reference-frame must be in 1.." + frames.size());
        long t0 = System.nanoTime();
        StackRegistration r = StackRegistration.of(frames, motion, spec.referenceFrame(), spec.minConfidence());
        double seconds = (System.nanoTime() - t0) / 1e9;
        ImageFiles.writeFloatTiff(r.aligned(), out);
        if (l.hasOption("transforms")) AtomicFiles.writeString(Args.path(l, "transforms"), Json.text(describe(r, in, out, seconds)));
        double worst = 1;
        for (Transform2d t : r.transforms()) worst = Math.min(worst, t.confidence());
        System.err.printf(Locale.ROOT, "equilibria: registered %d frames to frame %d (%s, OpenCV %s), lowest confidence %.3f, %.2f s; wrote %s%n",
                frames.size(), reference, motion.name().toLowerCase(Locale.ROOT),
                "phaseCorrelate, then findTransformECC on a " + (StackRegistration.LEVELS + 1) + "-level pyramid",
                worst, seconds, out);
        return ExitCodes.OK;
    }

    private static Map<String, Object> describe(StackRegistration r, Path in, Path out, double seconds) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("input", in.toString());
        m.put("output", out.toString());
        m.put("motion", r.motion().name().toLowerCase(Locale.ROOT));
        m.put("referenceFrame", r.reference() + 1);
        m.put("convention", "x' = a00 x + a01 y + tx, y' = a10 x + a11 y + ty maps a pixel (x, y) of the reference frame "
                + "(origin at the first pixel's centre, y down) to the same point in this frame");
        List<Map<String, Object>> frames = new ArrayList<>();
        for (int i = 0; i < r.transforms().size(); i++) {
            Transform2d t = r.transforms().get(i);
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("frame", i + 1);
            f.put("matrix", t.rows());
            f.put("shiftPx", List.of(t.tx(), t.ty()));
            f.put("rotationDeg", t.degrees());
            f.put("confidence", t.confidence());
            frames.add(f);
        }
        m.put("frames", frames);
        m.put("seconds", seconds);
        m.put("library", "OpenCV 4.13.0 (Bytedeco 1.5.13)");
        return m;
    }
}
