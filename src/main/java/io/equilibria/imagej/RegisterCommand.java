package io.equilibria.imagej;

import ij.IJ;
import ij.ImagePlus;
import ij.gui.GenericDialog;
import ij.plugin.PlugIn;
import io.equilibria.image.ChannelChoice;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.registration.Motion;
import io.equilibria.image.registration.StackRegistration;
import io.equilibria.image.registration.Transform2d;

import java.util.Locale;

/**
 * {@code Plugins > Equilibria > Register Frames...}: the current stack's frames aligned to one of them (OpenCV phase
 * correlation or ECC, as {@code equilibria register}), shown as a new stack; each frame's shift, rotation and
 * confidence go to the Log and the new image's Info. Frames that cannot be registered with confidence are refused with
 * a message. Recordable: {@code run("Register Frames...", "motion=euclidean reference=1 min_confidence=0.5");}
 */
public final class RegisterCommand implements PlugIn {
    @Override
    public void run(String arg) {
        ImagePlus imp = CommandSupport.currentImage();
        if (imp == null) return;
        GenericDialog gd = new GenericDialog("Register Frames");
        gd.addChoice("motion", new String[] {"euclidean", "translation", "affine"}, "euclidean");
        gd.addNumericField("reference", 1, 0, 6, "frame (1-based)");
        gd.addNumericField("min_confidence", 0.5, 2, 6, "(0..1; lower frames are refused)");
        gd.showDialog();
        if (gd.wasCanceled()) return;
        Motion motion = Motion.parse(gd.getNextChoice());
        int reference = (int) gd.getNextNumber();
        double min = gd.getNextNumber();
        CommandSupport.runOffEdt("Register Frames", () -> register(imp, motion, reference, min).show());
    }

    static ImagePlus register(ImagePlus imp, Motion motion, int reference, double min) {
        ImageData frames = ImageFiles.fromImagePlus(imp, ChannelChoice.NONE, null);
        if (reference < 1 || reference > frames.size()) throw new IllegalArgumentException("reference must be a frame in 1.." + frames.size());
        StackRegistration r = StackRegistration.of(frames, motion, reference - 1, min);
        ImagePlus out = ImageFiles.toImagePlus(r.aligned(), imp.getShortTitle() + "-registered");
        StringBuilder info = new StringBuilder("Equilibria registration to frame " + reference + " ("
                + motion.name().toLowerCase(Locale.ROOT) + ", OpenCV)\n");
        for (int i = 0; i < r.transforms().size(); i++) {
            Transform2d t = r.transforms().get(i);
            info.append(String.format(Locale.ROOT, "frame %d: shift %.3f, %.3f px, rotation %.3f deg, confidence %.3f%n",
                    i + 1, t.tx(), t.ty(), t.degrees(), t.confidence()));
        }
        out.setProperty("Info", info.toString());
        IJ.log(info.toString().trim());
        return out;
    }
}
