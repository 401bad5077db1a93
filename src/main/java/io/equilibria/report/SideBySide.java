package io.equilibria.report;

import io.equilibria.image.AtomicFiles;
import io.equilibria.image.Plane;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * A labelled montage of same-sized planes (e.g. input | RL | DEQ) as an 8-bit PNG. All panels share one display
 * range, the 0.5–99.8 percentiles of the reference panel, so brightness and contrast compare honestly.
 */
public final class SideBySide {
    public record Panel(String label, Plane plane) {}

    private SideBySide() {}

    /** Writes the montage atomically; {@code reference} picks the panel whose percentiles set the display range. */
    public static void write(Path png, List<Panel> panels, int reference) {
        if (panels.isEmpty()) throw new IllegalArgumentException("nothing to show");
        int w = panels.get(0).plane().width(), h = panels.get(0).plane().height();
        for (Panel p : panels) {
            if (p.plane().width() != w || p.plane().height() != h) throw new IllegalArgumentException("panels differ in size");
        }
        float[] sorted = panels.get(reference).plane().data().clone();
        Arrays.sort(sorted);
        double lo = sorted[(int) (0.005 * (sorted.length - 1))], hi = sorted[(int) (0.998 * (sorted.length - 1))];
        if (!(hi > lo)) hi = lo + 1;
        int gap = 4, label = Math.max(18, Math.min(32, w / 14));
        BufferedImage img = new BufferedImage(panels.size() * w + (panels.size() - 1) * gap, h + label, BufferedImage.TYPE_BYTE_GRAY);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, (int) (label * 0.7)));
        g.setColor(Color.BLACK);
        for (int i = 0; i < panels.size(); i++) {
            int x0 = i * (w + gap);
            float[] d = panels.get(i).plane().data();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int v = (int) Math.round(255 * (d[y * w + x] - lo) / (hi - lo));
                    img.getRaster().setSample(x0 + x, label + y, 0, Math.max(0, Math.min(255, v)));
                }
            }
            g.drawString(panels.get(i).label(), x0 + 4, (int) (label * 0.78));
        }
        g.dispose();
        AtomicFiles.write(png, os -> {
            if (!ImageIO.write(img, "png", os)) throw new java.io.IOException("no PNG writer");
        });
    }
}
