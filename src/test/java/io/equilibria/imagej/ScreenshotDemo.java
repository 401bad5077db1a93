package io.equilibria.imagej;

import ij.IJ;
import ij.ImageJ;
import ij.ImagePlus;
import ij.WindowManager;

import javax.imageio.ImageIO;
import java.awt.Button;
import java.awt.Component;
import java.awt.Container;
import java.awt.Dialog;
import java.awt.Rectangle;
import java.awt.Robot;
import java.awt.Toolkit;
import java.awt.Window;
import java.io.File;

/**
 * Not a unit test: a real ImageJ window under a (virtual) display. Opens the sample image, opens
 * {@code Plugins > Equilibria > Deblur (DEQ)...} through the menu command, screenshots the dialog, presses OK, waits for
 * the result and screenshots the screen. Run: {@code xvfb-run -a -s "-screen 0 1600x1000x24" java -cp ... ScreenshotDemo OUTDIR}.
 */
public final class ScreenshotDemo {
    public static void main(String[] args) throws Exception {
        File out = new File(args.length > 0 ? args[0] : "target/screenshots");
        out.mkdirs();
        new ImageJ();
        ImagePlus imp = IJ.openImage("sample-images/cell_blurred.tif");
        imp.show();
        Thread.sleep(1500);
        Thread t = new Thread(() -> IJ.run("Deblur (DEQ)...")); // the dialog is modal: its own thread
        t.start();
        Dialog d = null;
        for (int i = 0; i < 100 && d == null; i++) {
            Thread.sleep(200);
            for (Window w : Window.getWindows()) if (w instanceof Dialog dd && dd.isShowing() && dd.getTitle().startsWith("Deblur")) d = dd;
        }
        if (d == null) throw new IllegalStateException("the dialog did not appear");
        Thread.sleep(800);
        Robot robot = new Robot();
        Rectangle screen = new Rectangle(Toolkit.getDefaultToolkit().getScreenSize());
        ImageIO.write(robot.createScreenCapture(screen), "png", new File(out, "imagej_dialog.png"));
        Button ok = find(d, "OK");
        if (ok == null) throw new IllegalStateException("no OK button");
        java.awt.EventQueue.invokeLater(() -> ok.dispatchEvent(new java.awt.event.ActionEvent(ok, java.awt.event.ActionEvent.ACTION_PERFORMED, "OK")));
        t.join(300_000);
        Thread.sleep(1500);
        ImagePlus result = WindowManager.getCurrentImage();
        ImageIO.write(robot.createScreenCapture(screen), "png", new File(out, "imagej_result.png"));
        System.out.println("result: " + (result == null ? null : result.getTitle()));
        System.exit(0);
    }

    private static Button find(Container c, String label) {
        for (Component k : c.getComponents()) {
            if (k instanceof Button b && label.equals(b.getLabel().trim())) return b;
            if (k instanceof Container cc) {
                Button b = find(cc, label);
                if (b != null) return b;
            }
        }
        return null;
    }
}
