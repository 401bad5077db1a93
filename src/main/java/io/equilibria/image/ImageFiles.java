package io.equilibria.image;

import io.equilibria.errors.Setting;

import io.equilibria.errors.InputException;

import ij.ImagePlus;
import ij.ImageStack;
import ij.io.FileInfo;
import ij.io.FileSaver;
import ij.io.Opener;
import ij.io.TiffDecoder;
import ij.io.TiffEncoder;
import ij.process.ColorProcessor;
import ij.process.FloatProcessor;
import ij.process.ImageProcessor;
import ij.process.LUT;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads grayscale TIFF (8/16/32-bit, single images and stacks), PNG and JPEG through ImageJ, with checks that
 * turn what ImageJ would silently tolerate (truncated TIFF strips, colour images, empty files) into clear errors;
 * writes 32-bit float TIFF atomically with calibration and an info block.
 */
public final class ImageFiles {
    public static final Set<String> EXTENSIONS = Set.of("tif", "tiff", "png", "jpg", "jpeg");

    private ImageFiles() {}

    public static boolean isImageFile(Path p) {
        String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
        int dot = n.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(n.substring(dot + 1)) && !n.startsWith(".");
    }

    /** Reads a grayscale image; colour input needs an explicit {@link ChannelChoice}. */
    public static ImageData read(Path path) {
        return read(path, ChannelChoice.NONE);
    }

    public static ImageData read(Path path, ChannelChoice channel) {
        if (!Files.exists(path)) throw new InputException(path, "no such file");
        if (Files.isDirectory(path)) throw new InputException(path, "is a directory, not an image");
        if (!Files.isReadable(path)) throw new InputException(path, "not readable (permissions)");
        long length;
        try {
            length = Files.size(path);
        } catch (IOException e) {
            throw new InputException(path, "cannot read: " + e.getMessage(), e);
        }
        if (length == 0) throw new InputException(path, "empty file (0 bytes)");
        String name = path.getFileName().toString().toLowerCase(Locale.ROOT);
        if (!isImageFile(path)) {
            throw new InputException(path, "unsupported file type (use TIFF, PNG or JPEG)");
        }
        if (name.endsWith(".tif") || name.endsWith(".tiff")) checkTiff(path, length);
        ImagePlus imp;
        try {
            imp = new Opener().openImage(path.toAbsolutePath().toString());
        } catch (RuntimeException e) {
            throw new InputException(path, "cannot be decoded: " + e, e);
        }
        if (imp == null) throw new InputException(path, "cannot be decoded as an image (corrupt or unsupported)");
        if (imp.getWidth() <= 0 || imp.getHeight() <= 0) throw new InputException(path, "zero-size image");
        return fromImagePlus(imp, channel, path);
    }

    /** The number of channels of an image file (1 for RGB and single-channel files). */
    public static int channels(Path path) {
        return read(path, ChannelChoice.ALL).channels();
    }

    /** Converts an ImageJ image (from a file or an open window) to float planes. */
    public static ImageData fromImagePlus(ImagePlus imp, ChannelChoice channel, Path source) {
        String where = source == null ? imp.getTitle() : source.toString();
        int type = imp.getType();
        boolean colour = type == ImagePlus.COLOR_RGB
                || (type == ImagePlus.COLOR_256 && !isGrayLut(imp.getProcessor().getLut()));
        int nChannels = imp.getNChannels();
        if (channel.isAll()) {
            if (colour) throw new InputException(where + ": colour (RGB) image; " + Setting.CHANNEL + " all applies to multi-channel stacks");
            if (nChannels == 1) return fromImagePlus(imp, ChannelChoice.NONE, source);
            List<ImageData> each = new ArrayList<>(nChannels);
            for (int c = 1; c <= nChannels; c++) each.add(fromImagePlus(imp, ChannelChoice.number(c), source));
            return ImageData.ofChannels(each);
        }
        if (nChannels > 1 && !imp.isRGB()) {
            int c = channel.index();
            if (c < 1 || c > nChannels) {
                throw new InputException(where + ": " + nChannels + "-channel image; set " + Setting.CHANNEL + " to 1.."
                        + nChannels + " or all");
            }
        } else if (colour && channel == ChannelChoice.NONE) {
            throw new InputException(where + ": colour (RGB) image; Equilibria works on grayscale intensities. "
                    + "Choose " + Setting.CHANNEL + " explicitly: red, green, blue or luminance");
        }
        ImageStack stack = imp.getStack();
        List<Plane> planes = new ArrayList<>();
        boolean signed16 = imp.getCalibration().isSigned16Bit();
        for (int i = 1; i <= stack.getSize(); i++) {
            if (nChannels > 1) {
                int[] pos = imp.convertIndexToPosition(i);
                if (pos[0] != channel.index()) continue;
            }
            ImageProcessor ip = stack.getProcessor(i);
            FloatProcessor fp;
            if (colour) {
                ColorProcessor cp = (ColorProcessor) (ip instanceof ColorProcessor ? ip : ip.convertToRGB());
                fp = channel.extract(cp);
            } else {
                fp = ip.toFloat(0, null);
            }
            float[] px = ((float[]) fp.getPixels()).clone();
            if (signed16) for (int k = 0; k < px.length; k++) px[k] -= 32768f;
            planes.add(new Plane(fp.getWidth(), fp.getHeight(), px));
        }
        ij.measure.Calibration c = imp.getCalibration();
        Calibration cal = new Calibration(c.pixelWidth, c.pixelHeight, c.pixelDepth, c.getUnit(),
                c.frameInterval, c.getTimeUnit());
        ImageData data = new ImageData(planes, cal, colour ? 8 : imp.getBitDepth());
        // a z-stack over time: each time point is one volume for a 3D deconvolution
        if (imp.getNSlices() > 1 && imp.getNFrames() > 1) data = data.withTimePoints(imp.getNFrames());
        Object info = imp.getProperty("Info");
        if (info != null) data.info().put("source-info", info.toString());
        return data;
    }

    private static boolean isGrayLut(LUT lut) {
        if (lut == null) return true;
        for (int i = 0; i < lut.getMapSize(); i++) {
            int r = lut.getRed(i), g = lut.getGreen(i), b = lut.getBlue(i);
            if (r != g || g != b) return false;
        }
        return true;
    }

    /** ImageJ reads a truncated TIFF as zeros; we refuse it by checking that every strip lies inside the file. */
    private static void checkTiff(Path path, long length) {
        FileInfo[] infos;
        try {
            Path dir = path.toAbsolutePath().getParent();
            infos = new TiffDecoder(dir.toString() + "/", path.getFileName().toString()).getTiffInfo();
        } catch (IOException | RuntimeException e) {
            throw new InputException(path, "not a readable TIFF (" + e.getMessage() + ")", e);
        }
        if (infos == null || infos.length == 0) throw new InputException(path, "TIFF has no image");
        for (FileInfo fi : infos) {
            if (fi.width <= 0 || fi.height <= 0) throw new InputException(path, "zero-size image in TIFF");
            long end;
            if (fi.stripOffsets != null && fi.stripLengths != null && fi.stripOffsets.length > 0 && fi.nImages <= 1) {
                end = 0;
                for (int s = 0; s < fi.stripOffsets.length; s++) {
                    end = Math.max(end, (fi.stripOffsets[s] & 0xffffffffL) + (fi.stripLengths[s] & 0xffffffffL));
                }
            } else {
                long planeBytes = (long) fi.width * fi.height * Math.max(1, fi.getBytesPerPixel());
                end = fi.getOffset() + planeBytes * Math.max(1, fi.nImages)
                        + (long) Math.max(0, fi.nImages - 1) * Math.max(0, fi.gapBetweenImages);
                if (fi.compression > FileInfo.COMPRESSION_NONE) end = fi.getOffset() + 1;
            }
            if (end > length) {
                throw new InputException(path, "truncated TIFF: pixel data needs " + end + " bytes but the file has "
                        + length);
            }
        }
    }

    /** Throws if any pixel is NaN or infinite; reconstruction cannot proceed meaningfully from them. */
    public static void requireFinite(ImageData data, String where) {
        for (int i = 0; i < data.size(); i++) {
            Plane p = data.plane(i);
            int k = p.firstNonFinite();
            if (k >= 0) {
                throw new InputException(where + ": non-finite pixel (" + p.data()[k] + ") at x=" + (k % p.width())
                        + ", y=" + (k / p.width()) + (data.size() > 1 ? ", slice " + (i + 1) : "")
                        + "; replace NaN/Inf before reconstructing");
            }
        }
    }

    /** Builds an ImageJ image with calibration and info, for writing or for showing in ImageJ. */
    public static ImagePlus toImagePlus(ImageData data, String title) {
        ImageStack stack = new ImageStack(data.width(), data.height());
        for (Plane p : data.planes()) stack.addSlice(new FloatProcessor(p.width(), p.height(), p.data().clone()));
        ImagePlus imp = new ImagePlus(title, stack);
        if (data.timePoints() > 1 || data.channels() > 1) {
            imp.setDimensions(data.channels(), data.slicesPerTimePoint(), data.timePoints());
            imp.setOpenAsHyperStack(true);
        }
        Calibration c = data.calibration();
        ij.measure.Calibration cal = new ij.measure.Calibration();
        cal.pixelWidth = c.pixelWidth();
        cal.pixelHeight = c.pixelHeight();
        cal.pixelDepth = c.pixelDepth();
        cal.setUnit(c.unit());
        cal.frameInterval = c.frameInterval();
        if (c.timeUnit() != null) cal.setTimeUnit(c.timeUnit());
        imp.setCalibration(cal);
        imp.setProperty("Info", infoText(data.info()));
        imp.resetDisplayRange();
        return imp;
    }

    public static String infoText(Map<String, String> info) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : info.entrySet()) {
            if (e.getKey().equals("source-info")) continue;
            sb.append(e.getKey()).append(" = ").append(e.getValue()).append('\n');
        }
        return sb.toString();
    }

    /** Writes a 32-bit float TIFF (stack if several planes) atomically: temporary file, then rename. */
    public static void writeFloatTiff(ImageData data, Path out) {
        ImagePlus imp = toImagePlus(data, out.getFileName().toString());
        FileInfo fi = imp.getFileInfo();
        fi.info = (String) imp.getProperty("Info");
        fi.description = new FileSaver(imp).getDescriptionString();
        if (imp.getStackSize() > 1) {
            fi.nImages = imp.getStackSize();
            fi.pixels = imp.getStack().getImageArray();
        } else {
            fi.pixels = imp.getProcessor().getPixels();
        }
        AtomicFiles.write(out, os -> new TiffEncoder(fi).write(os));
    }

    /** Functional writer used by {@link AtomicFiles}. */
    @FunctionalInterface
    public interface StreamWriter {
        void write(OutputStream os) throws IOException;
    }

    static OutputStream buffered(OutputStream os) {
        return new BufferedOutputStream(os, 1 << 16);
    }
}
