package io.equilibria.certify.data;

import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.errors.InputException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Images to certify, flattened in (C, H, W) order with values in [0, 1], each with an id and a label (−1 when unknown).
 * Sources: an IDX image file (MNIST/Fashion-MNIST; labels from the sibling {@code *-labels-idx1-ubyte[.gz]}), a
 * folder holding the IDX test set, a folder of images, or one image. Image values are scaled by their type's range
 * (8-bit /255, 16-bit /65535; 32-bit float must already be in [0, 1]); a folder's labels come from a
 * {@code file,label} CSV or, when absent, from a numeric parent-folder name ({@code DIR/7/x.png} is class 7).
 */
public record LabelledImages(List<String> ids, float[][] images, int[] labels) {
    public int count() { return images.length; }

    public boolean labelled() {
        for (int l : labels) if (l < 0) return false;
        return labels.length > 0;
    }

    /** Any supported source; {@code offset}/{@code limit} select a range of an IDX set (limit ≤ 0: all). */
    public static LabelledImages read(Path input, int[] chw, Path labelsCsv, int offset, int limit) {
        if (!Files.exists(input)) throw new InputException(input, "no such file or folder");
        if (Files.isDirectory(input)) {
            Path idx = idxIn(input);
            if (idx != null) return idx(idx, offset, limit);
            return folder(input, chw, labelsCsv, offset, limit);
        }
        if (isIdx(input)) return idx(input, offset, limit);
        return images(List.of(input), input.getParent() == null ? Path.of(".") : input.getParent(), chw, labels(labelsCsv));
    }

    /** Whether {@code input} is an IDX image set: an IDX image file, or a folder holding the IDX test set. */
    public static boolean isIdx(Path input) {
        return Files.isDirectory(input) ? idxIn(input) != null : input.getFileName().toString().contains("idx3-ubyte");
    }

    private static Path idxIn(Path dir) {
        for (String s : List.of("t10k-images-idx3-ubyte", "t10k-images-idx3-ubyte.gz")) {
            if (Files.isRegularFile(dir.resolve(s))) return dir.resolve(s);
        }
        return null;
    }

    static LabelledImages idx(Path images, int offset, int limit) {
        String n = images.getFileName().toString();
        Path labels = images.resolveSibling(n.replace("images-idx3", "labels-idx1"));
        if (labels.equals(images) || !Files.isRegularFile(labels)) throw new InputException(images, "no label file " + labels.getFileName() + " beside it");
        if (offset < 0) throw new IllegalArgumentException("offset must be >= 0");
        IdxDataset d = IdxDataset.read(images, labels, limit > 0 ? offset + limit : 0);
        if (offset >= d.count()) throw new InputException(images, "offset " + offset + " is past its " + d.count() + " images");
        int count = d.count() - offset;
        List<String> ids = new ArrayList<>();
        float[][] x = new float[count][];
        int[] y = new int[count];
        for (int i = 0; i < count; i++) {
            ids.add(n + "#" + (offset + i));
            x[i] = d.images()[offset + i];
            y[i] = d.labels()[offset + i];
        }
        return new LabelledImages(ids, x, y);
    }

    static LabelledImages folder(Path dir, int[] chw, Path labelsCsv, int offset, int limit) {
        List<Path> files;
        try (Stream<Path> s = Files.walk(dir, 2)) {
            files = s.filter(Files::isRegularFile).filter(ImageFiles::isImageFile).sorted().toList();
        } catch (IOException e) {
            throw new InputException(dir, "cannot list: " + e.getMessage());
        }
        if (files.isEmpty()) throw new InputException(dir, "holds no TIFF/PNG/JPEG images and no IDX test set");
        int from = Math.min(offset, files.size()), to = limit > 0 ? Math.min(files.size(), from + limit) : files.size();
        return images(files.subList(from, to), dir, chw, labels(labelsCsv));
    }

    private static LabelledImages images(List<Path> files, Path root, int[] chw, Map<String, Integer> csv) {
        List<String> ids = new ArrayList<>();
        float[][] x = new float[files.size()][];
        int[] y = new int[files.size()];
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            String id = root.relativize(f).toString();
            ids.add(id);
            x[i] = pixels(f, chw);
            Integer l = csv.get(id);
            if (l == null) l = csv.get(f.getFileName().toString());
            if (l == null && f.getParent() != null && f.getParent().getFileName() != null) {
                String p = f.getParent().getFileName().toString();
                if (p.matches("\\d{1,4}") && !f.getParent().equals(root.getParent())) l = Integer.parseInt(p);
            }
            y[i] = l == null ? -1 : l;
        }
        return new LabelledImages(ids, x, y);
    }

    /** One image as the model's input: single channel, exact size, values in [0, 1]. */
    public static float[] pixels(Path file, int[] chw) {
        ImageData d = ImageFiles.read(file);
        return pixels(d, chw, file);
    }

    public static float[] pixels(ImageData d, int[] chw, Path source) {
        if (chw[0] != 1) throw new InputException(source, "the model takes " + chw[0] + " channels; only single-channel images are supported");
        if (d.size() != 1) throw new InputException(source, "has " + d.size() + " planes; give one 2-D image");
        if (d.width() != chw[2] || d.height() != chw[1]) {
            throw new InputException(source, "is " + d.width() + "x" + d.height() + " but the model takes " + chw[2] + "x" + chw[1]
                    + " images (resize or crop it first, e.g. ImageJ Image > Scale)");
        }
        float[] v = d.plane(0).data().clone();
        double scale = switch (d.bitDepth()) { case 8, 24 -> 1 / 255.0; case 16 -> 1 / 65535.0; default -> 1; };
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (v[i] * scale);
            if (!(v[i] >= -1e-6f && v[i] <= 1 + 1e-6f)) {
                throw new InputException(source, "32-bit values must lie in [0, 1] (found " + v[i] + "); scale the image first");
            }
        }
        return v;
    }

    private static Map<String, Integer> labels(Path csv) {
        Map<String, Integer> m = new HashMap<>();
        if (csv == null) return m;
        try {
            for (String line : Files.readAllLines(csv)) {
                String t = line.trim();
                if (t.isEmpty() || t.startsWith("#") || t.toLowerCase().startsWith("file,")) continue;
                int c = t.lastIndexOf(',');
                if (c < 0) throw new InputException(csv, "expected 'file,label' lines, got '" + t + "'");
                try {
                    m.put(t.substring(0, c).trim(), Integer.parseInt(t.substring(c + 1).trim()));
                } catch (NumberFormatException e) {
                    throw new InputException(csv, "label must be an integer in '" + t + "'");
                }
            }
        } catch (IOException e) {
            throw new InputException(csv, "cannot read: " + e.getMessage());
        }
        return m;
    }
}
