package io.equilibria.train.data;

import ij.ImagePlus;
import ij.io.FileSaver;
import ij.process.ByteProcessor;
import ij.process.ColorProcessor;
import ij.process.ImageProcessor;
import ij.process.ShortProcessor;
import io.equilibria.errors.InputException;
import io.equilibria.image.Plane;
import io.equilibria.train.data.PatchSampler.Options;
import io.equilibria.train.data.PatchSampler.Patch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Patch sampling from tiny generated PNG/TIFF folders and from phantoms; the train/validation split. */
public class PatchSamplerTest {
    @TempDir
    Path dir;

    /** Textured 8-bit, 16-bit and RGB images as PNG, JPEG or TIFF by extension. */
    static void write(Path file, String kind, int w, int h, long seed) throws Exception {
        Files.createDirectories(file.getParent());
        Random r = new Random(seed);
        ImageProcessor ip = switch (kind) {
            case "8" -> new ByteProcessor(w, h);
            case "16" -> new ShortProcessor(w, h);
            default -> new ColorProcessor(w, h);
        };
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int v = (int) (40 + 100 * Math.sin(x * 0.3 + seed) * Math.cos(y * 0.2) + 100 + r.nextInt(20));
                if (kind.equals("16")) v *= 200;
                if (kind.equals("rgb")) v = (v << 16) | ((255 - v) << 8) | (v / 2);
                ip.set(x, y, v);
            }
        FileSaver fs = new FileSaver(new ImagePlus("t", ip));
        String n = file.toString();
        assertTrue(n.endsWith(".png") ? fs.saveAsPng(n) : n.endsWith(".jpg") ? fs.saveAsJpeg(n) : fs.saveAsTiff(n));
    }

    void folder(Path f, boolean reverse) throws Exception {
        List<Runnable> steps = new ArrayList<>();
        String[][] files = {{"a.png", "8"}, {"sub/b.tif", "16"}, {"c.png", "rgb"}, {"sub/deeper/d.tiff", "8"}, {"e.jpg", "8"}};
        for (int i = 0; i < files.length; i++) {
            String[] spec = files[i];
            long seed = i;
            steps.add(() -> {
                try {
                    write(f.resolve(spec[0]), spec[1], 48, 40, seed);
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
        }
        if (reverse) java.util.Collections.reverse(steps);
        steps.forEach(Runnable::run);
        Files.writeString(f.resolve("notes.txt"), "not an image");
    }

    @Test
    void sameSeedSamePatchesWhateverTheListingOrder() throws Exception {
        folder(dir.resolve("one"), false);
        folder(dir.resolve("two"), true);
        PatchSampler a = PatchSampler.fromFolder(dir.resolve("one")), b = PatchSampler.fromFolder(dir.resolve("two"));
        assertEquals(5, a.imageCount(), "8-bit, 16-bit, RGB (luminance), a nested TIFF, a JPEG: " + a.skipped());
        List<Patch> pa = a.sample(16, 40, 42), pb = b.sample(16, 40, 42), again = a.sample(16, 40, 42);
        assertEquals(40, pa.size());
        Set<String> files = new HashSet<>();
        for (int i = 0; i < pa.size(); i++) {
            Plane p = pa.get(i).plane();
            assertEquals(16, p.width());
            assertEquals(16, p.height());
            assertTrue(p.min() >= 0 && p.max() <= 1, "scaled to [0, 1]");
            assertArrayEquals(p.data(), pb.get(i).plane().data(), "same patches from a folder written in another order");
            assertArrayEquals(p.data(), again.get(i).plane().data(), "same seed, same patches");
            files.add(pa.get(i).source().replaceAll(".*/", "").replaceAll(" @.*", ""));
        }
        assertEquals(Set.of("a.png", "b.tif", "c.png", "d.tiff", "e.jpg"), files, "every image is used");
        // the file system may list in any order: the listing is sorted, and a shuffled file list samples the same
        List<Path> listed = PatchSampler.listImages(dir.resolve("one"));
        assertEquals(listed.stream().sorted().toList(), listed);
        List<Path> shuffled = new ArrayList<>(listed);
        java.util.Collections.reverse(shuffled);
        List<Patch> ps = PatchSampler.fromFiles(shuffled, Options.defaults()).sample(16, 40, 42);
        for (int i = 0; i < pa.size(); i++) assertArrayEquals(pa.get(i).plane().data(), ps.get(i).plane().data());
        assertFalse(java.util.Arrays.equals(pa.get(0).plane().data(), a.sample(16, 40, 43).get(0).plane().data()),
                "another seed, other patches");
    }

    @Test
    void eachImageScaledByItsOwnRangeOrPercentiles() {
        float[] ramp = new float[100];
        for (int i = 0; i < 100; i++) ramp[i] = 50 + i;
        Plane minmax = PatchSampler.scale(new Plane(10, 10, ramp), Options.defaults());
        assertEquals(0, minmax.min(), 0);
        assertEquals(1, minmax.max(), 0);
        assertEquals(1 / 99.0, minmax.data()[1], 1e-6);
        ramp[55] = 1e6f; // a hot pixel would squash everything else to ~0 with min/max
        Plane pct = PatchSampler.scale(new Plane(10, 10, ramp), Options.defaults().withPercentiles(1, 98));
        assertEquals(1, pct.data()[55], 0, "clipped");
        assertTrue(pct.data()[90] > 0.8, "the rest keeps its contrast");
        assertEquals(null, PatchSampler.scale(new Plane(2, 2, new float[] {3, 3, 3, 3}), Options.defaults()));
    }

    @Test
    void nearlyFlatPatchesAreRedrawn() throws Exception {
        ByteProcessor bp = new ByteProcessor(64, 64); // left half flat, right half textured
        Random r = new Random(1);
        for (int y = 0; y < 64; y++) for (int x = 0; x < 64; x++) bp.set(x, y, x < 32 ? 10 : 20 + r.nextInt(200));
        Path f = dir.resolve("half.png");
        assertTrue(new FileSaver(new ImagePlus("h", bp)).saveAsPng(f.toString()));
        for (Patch p : PatchSampler.fromFolder(dir).sample(12, 60, 3)) {
            assertTrue(PatchSampler.std(p.plane().data()) >= 0.02, p.source());
        }
        long flat = PatchSampler.fromFolder(dir, Options.defaults().withMinStd(0)).sample(12, 60, 3).stream()
                .filter(p -> PatchSampler.std(p.plane().data()) < 0.02).count();
        assertTrue(flat > 5, "without rejection flat patches occur: " + flat);

        ByteProcessor dot = new ByteProcessor(64, 64); // one bright pixel: every 8 x 8 patch but one is flat
        dot.set(5, 5, 200);
        Path lonely = dir.resolve("dot/dot.png");
        Files.createDirectories(lonely.getParent());
        assertTrue(new FileSaver(new ImagePlus("d", dot)).saveAsPng(lonely.toString()));
        InputException e = assertThrows(InputException.class,
                () -> PatchSampler.fromFolder(lonely.getParent(), Options.defaults().withMinStd(0.2)).sample(8, 5, 1));
        assertTrue(e.getMessage().contains("nearly flat"), e.getMessage());
    }

    @Test
    void clearErrorsForEmptyUnusableOrTooSmallFolders() throws Exception {
        Path empty = Files.createDirectories(dir.resolve("empty"));
        InputException e = assertThrows(InputException.class, () -> PatchSampler.fromFolder(empty));
        assertTrue(e.getMessage().contains("no TIFF, PNG or JPEG"), e.getMessage());
        Files.writeString(empty.resolve("readme.txt"), "x");
        assertThrows(InputException.class, () -> PatchSampler.fromFolder(empty));
        assertThrows(InputException.class, () -> PatchSampler.fromFolder(dir.resolve("missing")));

        Path bad = Files.createDirectories(dir.resolve("bad"));
        Files.writeString(bad.resolve("broken.png"), "not a png");
        assertTrue(new FileSaver(new ImagePlus("c", new ByteProcessor(20, 20))).saveAsPng(bad.resolve("flat.png").toString()));
        e = assertThrows(InputException.class, () -> PatchSampler.fromFolder(bad));
        assertTrue(e.getMessage().contains("no usable image among 2"), e.getMessage());

        Path small = dir.resolve("small");
        write(small.resolve("s.png"), "8", 20, 30, 1);
        PatchSampler s = PatchSampler.fromFolder(small);
        assertEquals(20, s.sample(20, 3, 1).get(0).plane().width());
        e = assertThrows(InputException.class, () -> s.sample(24, 3, 1));
        assertTrue(e.getMessage().contains("smaller than the 24x24 patch"), e.getMessage());
    }

    @Test
    void phantomPatchesAndMixtures() throws Exception {
        PatchSampler ph = PatchSampler.fromPhantoms(new PhantomGenerator());
        List<Patch> a = ph.sample(32, 20, 5), b = ph.sample(32, 20, 5);
        for (int i = 0; i < a.size(); i++) {
            assertArrayEquals(a.get(i).plane().data(), b.get(i).plane().data());
            assertTrue(a.get(i).source().startsWith("phantom MIXTURE"), a.get(i).source());
            assertTrue(PatchSampler.std(a.get(i).plane().data()) >= 0.02);
        }
        folder(dir.resolve("imgs"), false);
        PatchSampler mix = PatchSampler.fromFolder(dir.resolve("imgs")).withPhantoms(new PhantomGenerator(), 0.3);
        List<Patch> m = mix.sample(16, 200, 9);
        long phantoms = m.stream().filter(p -> p.source().startsWith("phantom")).count();
        assertTrue(phantoms > 35 && phantoms < 85, "about 30% phantoms: " + phantoms);
        List<Patch> again = mix.sample(16, 200, 9);
        for (int i = 0; i < m.size(); i++) assertArrayEquals(m.get(i).plane().data(), again.get(i).plane().data());
        assertThrows(IllegalArgumentException.class, () -> mix.withPhantoms(new PhantomGenerator(), 1.5));
    }

    @Test
    void augmentationIsOneOfTheEightSymmetries() {
        float[] v = new float[9];
        for (int i = 0; i < 9; i++) v[i] = i;
        Set<String> seen = new HashSet<>();
        for (int k = 0; k < 8; k++) {
            float[] t = PatchSampler.dihedral(v, 3, k);
            assertEquals(4, t[4], 0, "the centre stays");
            float[] sorted = t.clone();
            java.util.Arrays.sort(sorted);
            assertArrayEquals(v, sorted, "a permutation");
            seen.add(java.util.Arrays.toString(t));
        }
        assertEquals(8, seen.size());
    }

    @Test
    void splitByNameIsDisjointStableAndKeepsValidationOutOfTraining() throws Exception {
        List<Path> files = new ArrayList<>();
        for (int i = 0; i < 200; i++) files.add(Path.of("data", "img_" + i + ".tif"));
        DatasetSplit s = DatasetSplit.of(files, 0.25);
        Set<Path> train = new HashSet<>(s.train()), val = new HashSet<>(s.validation());
        assertEquals(200, train.size() + val.size());
        train.retainAll(val);
        assertTrue(train.isEmpty(), "disjoint");
        assertTrue(s.validation().size() > 30 && s.validation().size() < 70, "about a quarter: " + s.validation().size());
        for (Path p : s.validation()) {
            // same name elsewhere or in another format, and a larger data set: still validation
            assertTrue(DatasetSplit.isValidation(Path.of("other", p.getFileName().toString().replace(".tif", ".PNG")), 0.25));
            assertTrue(DatasetSplit.isValidation(p, 0.4));
        }
        assertTrue(DatasetSplit.of(files, 0).validation().isEmpty());
        assertTrue(DatasetSplit.of(files, 1).train().isEmpty());

        Path f = dir.resolve("split");
        for (int i = 0; i < 12; i++) write(f.resolve("im" + i + ".png"), "8", 24, 24, i);
        DatasetSplit fs = DatasetSplit.of(f, 0.4);
        assertFalse(fs.validation().isEmpty());
        assertFalse(fs.train().isEmpty());
        for (Patch p : PatchSampler.fromFiles(fs.train(), Options.defaults()).sample(8, 100, 1)) {
            for (Path v : fs.validation()) assertFalse(p.source().startsWith(v.toString() + " "), p.source());
        }
    }
}
