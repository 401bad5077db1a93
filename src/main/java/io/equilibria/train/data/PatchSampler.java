package io.equilibria.train.data;

import io.equilibria.image.ChannelChoice;
import io.equilibria.image.ImageFiles;
import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;
import io.equilibria.image.Stats;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;

/**
 * Random square training patches in [0, 1] from a folder of images, from {@link PhantomGenerator}, or a mixture.
 *
 * <p>Images (TIFF/PNG/JPEG, recursively) are read once, in sorted path order so that a seed gives the same
 * patches whatever order the file system lists them in; RGB becomes luminance, every plane of a stack and every
 * channel of a multi-channel file is an image of its own, and each is scaled to [0, 1] by its own percentiles
 * (default min/max). Patches whose standard deviation is below {@code minStd} are redrawn: flat background teaches
 * a denoiser nothing. Every image is kept in memory as float, so size the folder to the heap.
 */
public final class PatchSampler {
    private static final int MAX_ATTEMPTS = 200;
    private static final ChannelChoice LUMINANCE = ChannelChoice.parse("luminance");

    /**
     * @param lowPercentile  maps to 0 (0 = minimum)
     * @param highPercentile maps to 1 (100 = maximum); values outside are clipped, so 0.1/99.9 ignores hot pixels
     * @param augment        random flips and 90° rotations (the 8 symmetries of the square)
     * @param minStd         patches with a lower standard deviation (in [0, 1] units) are redrawn; 0 keeps all
     */
    public record Options(double lowPercentile, double highPercentile, boolean augment, double minStd) {
        public Options {
            if (!(lowPercentile >= 0 && highPercentile <= 100 && lowPercentile < highPercentile))
                throw new IllegalArgumentException("need 0 <= low percentile < high percentile <= 100");
            if (!(minStd >= 0)) throw new IllegalArgumentException("minStd must be >= 0");
        }

        /** Min/max scaling, augmentation on, patches with std below 0.02 rejected. */
        public static Options defaults() { return new Options(0, 100, true, 0.02); }

        public Options withPercentiles(double low, double high) { return new Options(low, high, augment, minStd); }
        public Options withAugment(boolean a) { return new Options(lowPercentile, highPercentile, a, minStd); }
        public Options withMinStd(double s) { return new Options(lowPercentile, highPercentile, augment, s); }
    }

    /** A patch and where it came from (file, plane and position, or phantom seed), for logs and debugging. */
    public record Patch(Plane plane, String source) {}

    private final List<Plane> images;
    private final List<String> names;
    private final List<String> skipped;
    private final PhantomGenerator phantoms;
    private final double phantomFraction;
    private final Options options;

    private PatchSampler(List<Plane> images, List<String> names, List<String> skipped, PhantomGenerator phantoms,
                         double phantomFraction, Options options) {
        if (!(phantomFraction >= 0 && phantomFraction <= 1))
            throw new IllegalArgumentException("phantom fraction must be in [0, 1]");
        if (phantomFraction > 0 && phantoms == null) throw new IllegalArgumentException("no phantom generator");
        this.images = images;
        this.names = names;
        this.skipped = skipped;
        this.phantoms = phantoms;
        this.phantomFraction = phantomFraction;
        this.options = options;
    }

    public static PatchSampler fromFolder(Path folder) { return fromFolder(folder, Options.defaults()); }

    public static PatchSampler fromFolder(Path folder, Options options) {
        List<Path> files = listImages(folder);
        if (files.isEmpty()) throw new InputException(folder, "no TIFF, PNG or JPEG images in this folder or below");
        return fromFiles(files, options);
    }

    /** Reads the given files (e.g. one side of a {@link DatasetSplit}); unreadable or flat ones are skipped. */
    public static PatchSampler fromFiles(List<Path> files, Options options) {
        List<Path> sorted = files.stream().sorted().toList();
        List<Plane> images = new ArrayList<>();
        List<String> names = new ArrayList<>(), skipped = new ArrayList<>();
        for (Path f : sorted) {
            List<Plane> planes;
            try {
                planes = readPlanes(f);
            } catch (InputException e) {
                skipped.add(e.getMessage());
                continue;
            }
            for (int i = 0; i < planes.size(); i++) {
                String name = f + (planes.size() > 1 ? "[" + (i + 1) + "]" : "");
                Plane scaled = scale(planes.get(i), options);
                if (scaled == null) skipped.add(f + (planes.size() > 1 ? " plane " + (i + 1) : "")
                        + ": constant or non-finite pixels");
                else {
                    images.add(scaled);
                    names.add(name);
                }
            }
        }
        if (images.isEmpty()) {
            throw new InputException("no usable image among " + sorted.size() + " file(s)"
                    + (skipped.isEmpty() ? "" : ": " + String.join("; ", skipped.subList(0, Math.min(3, skipped.size())))
                    + (skipped.size() > 3 ? "; ..." : "")));
        }
        return new PatchSampler(List.copyOf(images), List.copyOf(names), List.copyOf(skipped), null, 0, options);
    }

    public static PatchSampler fromPhantoms(PhantomGenerator generator) {
        return fromPhantoms(generator, Options.defaults());
    }

    public static PatchSampler fromPhantoms(PhantomGenerator generator, Options options) {
        return new PatchSampler(List.of(), List.of(), List.of(), generator, 1, options);
    }

    /** This sampler's images mixed with phantoms: each patch is a phantom with probability {@code fraction}. */
    public PatchSampler withPhantoms(PhantomGenerator generator, double fraction) {
        if (images.isEmpty() && fraction < 1) throw new IllegalArgumentException("no images to mix phantoms with");
        return new PatchSampler(images, names, skipped, generator, fraction, options);
    }

    /** Image files under {@code folder}, recursively, sorted (hidden files and other types left out). */
    public static List<Path> listImages(Path folder) {
        if (!Files.isDirectory(folder)) throw new InputException(folder, "not a folder");
        try (Stream<Path> s = Files.walk(folder)) {
            return s.filter(Files::isRegularFile).filter(ImageFiles::isImageFile).sorted().toList();
        } catch (IOException | UncheckedIOException e) {
            throw new InputException(folder, "cannot list: " + e.getMessage(), e);
        }
    }

    public int imageCount() { return images.size(); }

    /** Files or planes that were left out, with the reason. */
    public List<String> skipped() { return skipped; }

    public Options options() { return options; }

    /** {@code count} patches of {@code p x p}; the same seed gives the same patches. */
    public List<Patch> sample(int p, int count, long seed) {
        if (p <= 0 || count < 0) throw new IllegalArgumentException("need patch size > 0 and count >= 0");
        List<Integer> eligible = new ArrayList<>();
        int largest = 0;
        for (int i = 0; i < images.size(); i++) {
            Plane im = images.get(i);
            if (im.width() >= p && im.height() >= p) eligible.add(i);
            largest = Math.max(largest, Math.min(im.width(), im.height()));
        }
        if (phantomFraction < 1 && eligible.isEmpty()) {
            throw new InputException("all " + images.size() + " image(s) are smaller than the " + p + "x" + p
                    + " patch (largest side available: " + largest + " px); use a smaller patch size");
        }
        SplittableRandom root = new SplittableRandom(seed);
        PhantomTiles tiles = phantoms == null ? null : new PhantomTiles(p, seed);
        List<Patch> out = new ArrayList<>(count);
        for (int n = 0; n < count; n++) {
            SplittableRandom r = root.split(); // one stream per patch: retries in one do not shift the others
            boolean phantom = r.nextDouble() < phantomFraction;
            Patch patch = null;
            for (int attempt = 0; attempt < MAX_ATTEMPTS && patch == null; attempt++) {
                patch = phantom ? tiles.crop(r, attempt) : crop(eligible.get(r.nextInt(eligible.size())), p, r);
            }
            if (patch == null) {
                throw new InputException("no " + p + "x" + p + " patch with standard deviation >= " + options.minStd()
                        + " in " + MAX_ATTEMPTS + " tries: the " + (phantom ? "phantoms" : "images")
                        + " are nearly flat at this size; lower minStd or use other images");
            }
            out.add(patch);
        }
        return out;
    }

    private Patch crop(int index, int p, SplittableRandom r) {
        Plane im = images.get(index);
        int x = r.nextInt(im.width() - p + 1), y = r.nextInt(im.height() - p + 1);
        return accept(im, x, y, p, r, names.get(index) + " @" + x + "," + y);
    }

    /** The crop, augmented, or null when it is nearly flat. */
    private Patch accept(Plane im, int x0, int y0, int p, SplittableRandom r, String source) {
        float[] v = new float[p * p];
        for (int y = 0; y < p; y++) System.arraycopy(im.data(), (y0 + y) * im.width() + x0, v, y * p, p);
        if (std(v) < options.minStd()) return null;
        return new Patch(new Plane(p, p, options.augment() ? dihedral(v, p, r.nextInt(8)) : v), source);
    }

    /** Phantom canvases larger than the patch (cells need room), each cut into a few patches to save time. */
    private final class PhantomTiles {
        final int p, side, perCanvas;
        final long seed;
        Plane canvas;
        int index = -1, used;
        long canvasSeed;

        PhantomTiles(int p, long seed) {
            this.p = p;
            this.seed = seed;
            this.side = Math.max(p, 256);
            this.perCanvas = Math.max(1, (side / p) * (side / p) / 2);
        }

        Patch crop(SplittableRandom r, int attempt) {
            // a new canvas when this one has given its share, or keeps giving flat crops
            if (canvas == null || used >= perCanvas || (attempt > 0 && attempt % 8 == 0)) {
                index++;
                canvasSeed = new SplittableRandom(seed ^ 0x5DEECE66DL * (index + 1)).nextLong();
                canvas = phantoms.generate(side, canvasSeed);
                used = 0;
            }
            int x = r.nextInt(side - p + 1), y = r.nextInt(side - p + 1);
            Patch patch = accept(canvas, x, y, p, r, "phantom " + phantoms.kind() + " seed " + canvasSeed + " @" + x
                    + "," + y);
            if (patch != null) used++;
            return patch;
        }
    }

    // ---- pixels -----------------------------------------------------------------------------------------------

    /** Luminance planes of a file; a multi-channel file gives each channel, since ImageFiles wants one named. */
    private static List<Plane> readPlanes(Path f) {
        try {
            return ImageFiles.read(f, LUMINANCE).planes();
        } catch (InputException notSingleChannel) {
            List<Plane> all = new ArrayList<>();
            for (int c = 1; c <= 64; c++) {
                try {
                    all.addAll(ImageFiles.read(f, ChannelChoice.parse(Integer.toString(c))).planes());
                } catch (InputException noSuchChannel) {
                    break;
                }
            }
            if (all.isEmpty()) throw notSingleChannel;
            return all;
        }
    }

    /** Scales to [0, 1] between the plane's percentiles (clipping outside); null when it cannot (flat, NaN). */
    static Plane scale(Plane plane, Options o) {
        if (plane.firstNonFinite() >= 0) return null;
        float[] sorted = plane.data().clone();
        java.util.Arrays.sort(sorted);
        double lo = Stats.sortedPercentile(sorted, o.lowPercentile()), hi = Stats.sortedPercentile(sorted, o.highPercentile());
        if (!(hi > lo)) { // a mostly uniform image with small bright objects: fall back to the full range
            lo = sorted[0];
            hi = sorted[sorted.length - 1];
        }
        if (!(hi > lo)) return null;
        float[] in = plane.data(), out = new float[in.length];
        for (int i = 0; i < in.length; i++) out[i] = (float) Math.min(1, Math.max(0, (in[i] - lo) / (hi - lo)));
        return new Plane(plane.width(), plane.height(), out);
    }

    static double std(float[] v) {
        double s = 0, s2 = 0;
        for (float x : v) {
            s += x;
            s2 += (double) x * x;
        }
        double m = s / v.length;
        return Math.sqrt(Math.max(0, s2 / v.length - m * m));
    }

    /** One of the 8 symmetries of the square: bit 0 flips x, bit 1 flips y, bit 2 transposes. */
    static float[] dihedral(float[] in, int p, int k) {
        float[] out = new float[in.length];
        for (int y = 0; y < p; y++)
            for (int x = 0; x < p; x++) {
                int sx = (k & 4) != 0 ? y : x, sy = (k & 4) != 0 ? x : y;
                if ((k & 1) != 0) sx = p - 1 - sx;
                if ((k & 2) != 0) sy = p - 1 - sy;
                out[y * p + x] = in[sy * p + sx];
            }
        return out;
    }
}
