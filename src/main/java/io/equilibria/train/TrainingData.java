package io.equilibria.train;

import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;
import io.equilibria.train.data.DatasetSplit;
import io.equilibria.train.data.PatchSampler;
import io.equilibria.train.data.PhantomGenerator;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * Where every reconstruction trainer's clean images come from: phantoms, optionally mixed with a folder of natural
 * images (some files excluded by name, a share held out by {@link DatasetSplit}), and a fixed validation set never
 * trained on — phantoms from seeds {@link #VALIDATION_SEED} + i, which the training stream (64-bit hashed seeds)
 * does not produce, and patches of the held-out files. Batches are a pure function of (seed, global step), so a
 * resumed run draws what the uninterrupted run would have.
 *
 * @param sampler           training patches
 * @param validation        the clean validation images
 * @param validationSources "phantom" or "natural", per validation image
 * @param sources           a description of the data for the model card
 */
record TrainingData(PatchSampler sampler, List<Plane> validation, List<String> validationSources,
                    List<Map<String, Object>> sources) {
    static final long VALIDATION_SEED = 0x7A11_0000_0000L;

    static TrainingData prepare(DataConfig c, Consumer<String> messages) {
        PhantomGenerator phantoms = new PhantomGenerator();
        List<Map<String, Object>> sources = new ArrayList<>();
        List<String> valSources = new ArrayList<>();
        List<Plane> valClean = new ArrayList<>();
        PatchSampler sampler;
        for (int i = 0; i < c.validationImages(); i++) {
            valClean.add(phantoms.generate(c.validationSize(), VALIDATION_SEED + i));
            valSources.add("phantom");
        }
        Map<String, Object> ph = new LinkedHashMap<>();
        ph.put("kind", "phantoms");
        ph.put("generator", "PhantomGenerator " + phantoms.kind() + " (filaments, beads, cells, haze)");
        ph.put("fraction", c.phantomShare());
        ph.put("validation", c.validationImages() + " phantoms " + c.validationSize() + "x" + c.validationSize()
                + ", seeds " + VALIDATION_SEED + " + 0.." + (c.validationImages() - 1));
        if (c.folder() == null) {
            sampler = PatchSampler.fromPhantoms(phantoms);
        } else {
            List<Path> all = PatchSampler.listImages(c.folder());
            List<PathMatcher> globs = c.exclude().stream()
                    .map(g -> FileSystems.getDefault().getPathMatcher("glob:" + g.toLowerCase(Locale.ROOT))).toList();
            List<Path> kept = new ArrayList<>(), excluded = new ArrayList<>();
            for (Path p : all) {
                Path name = Path.of(p.getFileName().toString().toLowerCase(Locale.ROOT));
                (globs.stream().anyMatch(g -> g.matches(name)) ? excluded : kept).add(p);
            }
            if (kept.isEmpty()) throw new InputException(c.folder(), "no images left after excluding " + c.exclude());
            DatasetSplit split = DatasetSplit.of(kept, c.validationFraction());
            if (split.train().isEmpty()) throw new InputException(c.folder(), "every image fell on the validation side; add images");
            PatchSampler.Options opts = PatchSampler.Options.defaults();
            PatchSampler natural = PatchSampler.fromFiles(split.train(), opts);
            sampler = c.phantomFraction() > 0 ? natural.withPhantoms(phantoms, c.phantomFraction()) : natural;
            for (String s : natural.skipped()) messages.accept("skipped " + s);
            Map<String, Object> nat = new LinkedHashMap<>();
            nat.put("kind", "folder");
            nat.put("path", c.folder().toAbsolutePath().normalize().toString());
            nat.put("fraction", 1 - c.phantomFraction());
            nat.put("scaling", "each image min/max to [0, 1], RGB as luminance, random flips/rotations, patches with std < "
                    + opts.minStd() + " redrawn");
            nat.put("train", names(split.train()));
            nat.put("validation", names(split.validation()));
            nat.put("excluded", names(excluded));
            nat.put("excludeGlobs", c.exclude());
            Path sourcesFile = c.folder().resolve("SOURCES.tsv");
            if (Files.isRegularFile(sourcesFile)) nat.put("provenance", sourcesFile.toAbsolutePath().normalize().toString());
            sources.add(nat);
            messages.accept("data: " + split.train().size() + " training and " + split.validation().size()
                    + " validation images from " + c.folder() + "; excluded " + names(excluded));
            if (!split.validation().isEmpty()) {
                PatchSampler val = PatchSampler.fromFiles(split.validation(), opts.withAugment(false));
                for (PatchSampler.Patch p : val.sample(c.validationSize(), c.validationImages(), VALIDATION_SEED)) {
                    valClean.add(p.plane());
                    valSources.add("natural");
                }
            } else {
                messages.accept("warning: no file of " + c.folder() + " fell on the validation side; validating on phantoms only");
            }
        }
        sources.add(0, ph);
        return new TrainingData(sampler, valClean, valSources, sources);
    }

    /** The clean patches of global step {@code step}. */
    static List<PatchSampler.Patch> patches(PatchSampler sampler, DataConfig c, long seed, long step) {
        return sampler.sample(c.patch(), c.batch(), mix(seed, 2 * step));
    }

    /** The stream of everything else random in step {@code step} (noise, operators), independent of its patches. */
    static SplittableRandom random(long seed, long step) {
        return new SplittableRandom(mix(seed, 2 * step + 1));
    }

    private static List<String> names(List<Path> files) {
        return files.stream().map(p -> p.getFileName().toString()).toList();
    }

    /** SplitMix64 of two longs: independent streams per (seed, step, purpose). */
    static long mix(long a, long b) {
        long z = a * 0x9E3779B97F4A7C15L + b + 0x632BE59BD9B4E019L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
