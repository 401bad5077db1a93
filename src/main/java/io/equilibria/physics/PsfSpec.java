package io.equilibria.physics;

import io.equilibria.errors.Setting;

import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;
import io.equilibria.image.Volume;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Parses the PSF argument shared by every command: a TIFF file, {@code gaussian:SIGMA_PX},
 * {@code airy:NA,LAMBDA_NM,PIXEL_NM}, {@code bornwolf:NA,LAMBDA_NM,PIXEL_NM,N,ZSTEP_NM,NZ} or
 * {@code gibsonlanni:NA,LAMBDA_NM,PIXEL_NM,ZSTEP_NM,NZ[,key=value...]} (keys {@code ni ns ng depth tg wd ni0 ng0 tg0};
 * depth in nm, tg/wd/tg0 in µm; see {@link GibsonLanni.Params#of} for defaults). For multi-view simulation, a
 * generator spec can also produce K rotated, stretched copies; for 3D deconvolution {@link #loadVolume} gives one
 * unit-sum volume with its voxel size.
 */
public final class PsfSpec {
    private static final String FORMS = "a TIFF file, gaussian:SIGMA_PX, airy:NA,LAMBDA_NM,PIXEL_NM, "
            + "bornwolf:NA,LAMBDA_NM,PIXEL_NM,N,ZSTEP_NM,NZ or gibsonlanni:NA,LAMBDA_NM,PIXEL_NM,ZSTEP_NM,NZ[,ns=1.33,depth=NM,...]";
    private final String text;
    private final String kind;
    private final double[] params;
    private final GibsonLanni.Params gibsonLanni; // only for gibsonlanni
    private final io.equilibria.image.ChannelChoice channel; // which channel of a multi-channel PSF file

    private PsfSpec(String text, String kind, double[] params) {
        this(text, kind, params, null);
    }

    private PsfSpec(String text, String kind, double[] params, GibsonLanni.Params gibsonLanni) {
        this(text, kind, params, gibsonLanni, io.equilibria.image.ChannelChoice.NONE);
    }

    private PsfSpec(String text, String kind, double[] params, GibsonLanni.Params gibsonLanni, io.equilibria.image.ChannelChoice channel) {
        this.text = text;
        this.kind = kind;
        this.params = params;
        this.gibsonLanni = gibsonLanni;
        this.channel = channel;
    }

    /** Channel {@code c} (1-based) of a multi-channel PSF file. */
    public PsfSpec withChannel(int c) {
        if (!isFile()) throw new IllegalStateException("only a PSF file has channels");
        return new PsfSpec(text, kind, params, gibsonLanni, io.equilibria.image.ChannelChoice.number(c));
    }

    /** The file and, for a multi-channel PSF file, the channel: what reports name. */
    private String described() {
        return channel == io.equilibria.image.ChannelChoice.NONE ? text : text + " (" + channel + ")";
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
            case "gibsonlanni": return parseGibsonLanni(t, t.substring(colon + 1));
            default:
                Path p = Paths.get(t);
                if (Files.exists(p) || t.toLowerCase(Locale.ROOT).matches(".*\\.(tif|tiff|png)$")) {
                    return new PsfSpec(t, "file", new double[0]);
                }
                throw new InputException("unknown PSF spec '" + t + "': use " + FORMS);
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

    /** NA,LAMBDA_NM,PIXEL_NM,ZSTEP_NM,NZ then optional key=value settings of the sample, coverslip and immersion. */
    private static PsfSpec parseGibsonLanni(String t, String body) {
        String[] parts = body.split(",");
        if (parts.length < 5 || parts[4].contains("=")) {
            throw new InputException("PSF spec '" + t + "': gibsonlanni takes NA,LAMBDA_NM,PIXEL_NM,ZSTEP_NM,NZ then optional "
                    + "key=value (ni, ns, ng, depth in nm, tg and wd in µm, design values ni0, ng0, tg0)");
        }
        double[] v = new double[5];
        for (int i = 0; i < 5; i++) {
            v[i] = number(t, parts[i]);
            if (!(v[i] > 0)) throw new InputException("PSF spec '" + t + "': values must be > 0");
        }
        if (v[4] != Math.rint(v[4])) throw new InputException("PSF spec '" + t + "': NZ must be a whole number");
        double ni = GibsonLanni.Params.NI, ns = GibsonLanni.Params.NS, ng = GibsonLanni.Params.NG, depth = 0;
        double tg = GibsonLanni.Params.TG_UM, wd = GibsonLanni.Params.WD_UM;
        Double ni0 = null, ng0 = null, tg0 = null; // design values default to the actual ones
        for (int i = 5; i < parts.length; i++) {
            String[] kv = parts[i].split("=", 2);
            if (kv.length != 2) throw new InputException("PSF spec '" + t + "': '" + parts[i] + "' is not key=value");
            double x = number(t, kv[1]);
            switch (kv[0].trim().toLowerCase(Locale.ROOT)) {
                case "ni": ni = x; break;
                case "ns": ns = x; break;
                case "ng": ng = x; break;
                case "depth": depth = x; break;
                case "tg": tg = x; break;
                case "wd": wd = x; break;
                case "ni0": ni0 = x; break;
                case "ng0": ng0 = x; break;
                case "tg0": tg0 = x; break;
                default:
                    throw new InputException("PSF spec '" + t + "': unknown key '" + kv[0].trim()
                            + "' (ni, ns, ng, depth, tg, wd, ni0, ng0, tg0)");
            }
        }
        GibsonLanni.Params p;
        try {
            // one constructor call: the checks see the final values (NA against the given immersion index, say)
            p = new GibsonLanni.Params(v[0], v[1], v[2], v[3], (int) v[4], 0, ni, ni0 == null ? ni : ni0, ns, ng,
                    ng0 == null ? ng : ng0, tg, tg0 == null ? tg : tg0, wd, depth);
        } catch (IllegalArgumentException e) {
            throw new InputException("PSF spec '" + t + "': " + e.getMessage());
        }
        return new PsfSpec(t, "gibsonlanni", v, p);
    }

    private static double number(String spec, String s) {
        try {
            double d = Double.parseDouble(s.trim());
            if (!Double.isFinite(d)) throw new NumberFormatException();
            return d;
        } catch (NumberFormatException e) {
            throw new InputException("PSF spec '" + spec + "': '" + s + "' is not a number");
        }
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
                case "gibsonlanni":
                    return Psf.of(GibsonLanni.volume(gibsonLanni).planes(), text);
                default:
                    ImageData d = ImageFiles.read(Paths.get(text), channel);
                    return Psf.of(d.planes(), described());
            }
        } catch (IllegalArgumentException e) {
            throw new InputException("PSF spec '" + text + "': " + e.getMessage());
        }
    }

    /**
     * The PSF for a 3D reconstruction: one volume of unit total sum with its voxel size. Born &amp; Wolf and
     * Gibson-Lanni specs are computed with focus at the array centre and calibrated in µm; a TIFF stack keeps its
     * file's calibration ({@link Calibration#none()} if it has none). A 2D spec or a single-slice file is an error.
     */
    public Psf loadVolume() {
        try {
            switch (kind) {
                case "bornwolf":
                    return Psf.volume(PsfGenerator.bornWolfVolume(params[0], params[1], params[2], params[3], params[4],
                            (int) params[5], 0), text, microns(params[2], params[4]));
                case "gibsonlanni":
                    return Psf.volume(GibsonLanni.volume(gibsonLanni), text, microns(params[2], params[3]));
                case "file": {
                    ImageData d = ImageFiles.read(Paths.get(text), channel);
                    if (d.size() < 2) {
                        throw new InputException("PSF " + described() + " has one slice; a 3D reconstruction needs a 3D PSF (a z-stack)");
                    }
                    Calibration c = d.calibration();
                    return Psf.volume(Volume.of(d.planes()), described(), c != null && c.isCalibrated() ? c : Calibration.none());
                }
                default:
                    throw new InputException("PSF spec '" + text + "' is 2D; a 3D reconstruction needs a 3D PSF: "
                            + "bornwolf:..., gibsonlanni:... or a TIFF z-stack");
            }
        } catch (IllegalArgumentException e) {
            throw new InputException("PSF spec '" + text + "': " + e.getMessage());
        }
    }

    /**
     * The PSF a deblur needs: per-frame planes for {@code multiFrame}, a volume for {@code volume}, and otherwise
     * whatever the spec is: a plane, or a volume for a 3D generator or a TIFF z-stack (a 3D PSF means a 3D
     * deconvolution unless its planes are the PSFs of K views).
     */
    public Psf loadFor(boolean multiFrame, boolean volume) {
        if (volume || (!multiFrame && (kind.equals("bornwolf") || kind.equals("gibsonlanni")))) return loadVolume();
        Psf p = load();
        if (multiFrame || p.size() == 1) return p;
        return loadVolume();
    }

    /**
     * The PSFs of a deblur from the {@code --psf} values: one each when several are given (channel c of a
     * multi-channel stack gets the c-th), one per channel of a multi-channel PSF file given alone, else the one PSF.
     */
    public static List<Psf> loadChannels(List<String> specs, boolean multiFrame, boolean volume) {
        List<Psf> out = new ArrayList<>();
        if (specs.size() == 1) {
            PsfSpec one = parse(specs.get(0));
            int channels = one.isFile() ? ImageFiles.channels(Paths.get(one.text)) : 1;
            if (channels == 1) return List.of(one.loadFor(multiFrame, volume));
            for (int c = 1; c <= channels; c++) out.add(one.withChannel(c).loadFor(multiFrame, volume));
            return out;
        }
        for (String s : specs) out.add(parse(s).loadFor(multiFrame, volume));
        return out;
    }

    /** Generated PSFs are calibrated in µm ("micron", as ImageJ writes it) from their nm pixel size and z step. */
    public static Calibration microns(double pixelNm, double zStepNm) {
        return new Calibration(pixelNm / 1000, pixelNm / 1000, zStepNm / 1000, "micron", 0, "sec");
    }

    /**
     * K PSFs for a multi-view series: a K-slice file or Born &amp; Wolf stack is used as is; a 2D generator is
     * stretched by {@code anisotropy} along angles 180°·k/K (views of one scene from K directions).
     */
    public Psf frames(int k, double anisotropy) {
        if (k < 1) throw new InputException("the number of frames must be >= 1");
        if (isFile() || kind.equals("bornwolf") || kind.equals("gibsonlanni")) {
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
