package io.equilibria.physics;

import io.equilibria.errors.Setting;

import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses the PSF argument shared by every command: a TIFF file, {@code gaussian:SIGMA_PX},
 * {@code airy:NA,LAMBDA_NM,PIXEL_NM} or {@code bornwolf:NA,LAMBDA_NM,PIXEL_NM,N,ZSTEP_NM,NZ}. For multi-view
 * simulation, a generator spec can also produce K rotated, stretched copies.
 */
public final class PsfSpec {
    private final String text;
    private final String kind;
    private final double[] params;

    private PsfSpec(String text, String kind, double[] params) {
        this.text = text;
        this.kind = kind;
        this.params = params;
    }

    public static PsfSpec parse(String text) {
        if (text == null || text.isBlank()) throw new InputException("no PSF given (" + Setting.PSF + ": a file, gaussian:S or airy:NA,L,P)");
        String t = text.trim();
        int colon = t.indexOf(':');
        String head = colon > 0 ? t.substring(0, colon).toLowerCase(Locale.ROOT) : "";
        int expected;
        switch (head) {
            case "gaussian": expected = 1; break;
            case "airy": expected = 3; break;
            case "bornwolf": expected = 6; break;
            default:
                Path p = Paths.get(t);
                if (Files.exists(p) || t.toLowerCase(Locale.ROOT).matches(".*\\.(tif|tiff|png)$")) {
                    return new PsfSpec(t, "file", new double[0]);
                }
                throw new InputException("unknown PSF spec '" + t + "': use a TIFF file, gaussian:SIGMA_PX, "
                        + "airy:NA,LAMBDA_NM,PIXEL_NM or bornwolf:NA,LAMBDA_NM,PIXEL_NM,N,ZSTEP_NM,NZ");
        }
        String[] parts = t.substring(colon + 1).split(",");
        if (parts.length != expected) {
            throw new InputException("PSF spec '" + t + "': " + head + " takes " + expected + " number(s), got "
                    + parts.length);
        }
        double[] v = new double[expected];
        for (int i = 0; i < expected; i++) {
            try {
                v[i] = Double.parseDouble(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new InputException("PSF spec '" + t + "': '" + parts[i] + "' is not a number");
            }
            if (!Double.isFinite(v[i]) || v[i] <= 0) throw new InputException("PSF spec '" + t + "': values must be > 0");
        }
        return new PsfSpec(t, head, v);
    }

    public String text() { return text; }
    public String kind() { return kind; }
    public boolean isFile() { return kind.equals("file"); }

    /** The PSF as given: one plane for gaussian/airy, NZ planes for bornwolf, all slices of a file. */
    public Psf load() {
        try {
            switch (kind) {
                case "gaussian":
                    return Psf.of(PsfGenerator.gaussian(params[0], 0), text);
                case "airy":
                    return Psf.of(PsfGenerator.airy(params[0], params[1], params[2], 0), text);
                case "bornwolf":
                    return Psf.of(PsfGenerator.bornWolf(params[0], params[1], params[2], params[3], params[4],
                            (int) params[5], 0), text);
                default:
                    ImageData d = ImageFiles.read(Paths.get(text));
                    return Psf.of(d.planes(), text);
            }
        } catch (IllegalArgumentException e) {
            throw new InputException("PSF spec '" + text + "': " + e.getMessage());
        }
    }

    /**
     * K PSFs for a multi-view series: a K-slice file or Born &amp; Wolf stack is used as is; a 2D generator is
     * stretched by {@code anisotropy} along angles 180°·k/K (views of one scene from K directions).
     */
    public Psf frames(int k, double anisotropy) {
        if (k < 1) throw new InputException("the number of frames must be >= 1");
        if (isFile() || kind.equals("bornwolf")) {
            Psf p = load();
            if (p.size() != k) {
                throw new InputException("PSF " + text + " has " + p.size() + " slice(s) but " + k
                        + " frames were asked for; give a " + k + "-slice PSF stack");
            }
            return p;
        }
        if (k == 1) return load();
        List<Plane> planes = new ArrayList<>();
        for (int i = 0; i < k; i++) {
            double theta = Math.PI * i / k;
            planes.add(kind.equals("gaussian")
                    ? PsfGenerator.gaussianStretched(params[0], anisotropy, theta, 0)
                    : PsfGenerator.airyStretched(params[0], params[1], params[2], anisotropy, theta, 0));
        }
        // all frames share the largest size so they stack
        int n = 0;
        for (Plane p : planes) n = Math.max(n, p.width());
        List<Plane> padded = new ArrayList<>();
        for (Plane p : planes) padded.add(centerPad(p, n));
        return Psf.of(padded, text + " x" + k + " views, anisotropy " + anisotropy);
    }

    static Plane centerPad(Plane p, int n) {
        if (p.width() == n && p.height() == n) return p;
        float[] d = new float[n * n];
        int ox = n / 2 - p.width() / 2, oy = n / 2 - p.height() / 2;
        for (int y = 0; y < p.height(); y++) {
            System.arraycopy(p.data(), y * p.width(), d, (y + oy) * n + ox, p.width());
        }
        return new Plane(n, n, d);
    }

    @Override
    public String toString() { return text; }
}
