package io.equilibria.image;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A grayscale image or stack as float planes, with the calibration and bit depth it came with, and free-form
 * metadata (written to the TIFF's info so a result says how it was made).
 */
public final class ImageData {
    private final List<Plane> planes;
    private final Calibration calibration;
    private final int bitDepth;
    private final Map<String, String> info = new LinkedHashMap<>();
    private int timePoints = 1; // a hyperstack's frames: planes are z-major within each time point
    private int channels = 1; // a multi-channel result: planes in ImageJ's order (channel fastest, then z, then time)

    public ImageData(List<Plane> planes, Calibration calibration, int bitDepth) {
        if (planes.isEmpty()) throw new IllegalArgumentException("an image needs at least one plane");
        Plane first = planes.get(0);
        for (Plane p : planes) {
            if (p.width() != first.width() || p.height() != first.height())
                throw new IllegalArgumentException("planes of a stack must share one size");
        }
        this.planes = List.copyOf(planes);
        this.calibration = calibration == null ? Calibration.none() : calibration;
        this.bitDepth = bitDepth;
    }

    public static ImageData of(Plane plane, Calibration calibration) {
        return new ImageData(List.of(plane), calibration, 32);
    }

    public List<Plane> planes() { return planes; }
    public Plane plane(int i) { return planes.get(i); }
    public int size() { return planes.size(); }
    public int width() { return planes.get(0).width(); }
    public int height() { return planes.get(0).height(); }
    public Calibration calibration() { return calibration; }
    /** Bit depth of the source (8, 16, 32); results are always written as 32-bit float. */
    public int bitDepth() { return bitDepth; }
    public Map<String, String> info() { return info; }

    public ImageData withPlanes(List<Plane> newPlanes) {
        ImageData d = new ImageData(newPlanes, calibration, 32);
        d.info.putAll(info);
        if (newPlanes.size() == planes.size()) {
            d.timePoints = timePoints;
            d.channels = channels;
        }
        return d;
    }

    /** Time points of a z-stack over time (a hyperstack): {@link #size()} = slices × time points. 1 otherwise. */
    public int timePoints() { return timePoints; }

    /** Planes of one time point (of one channel). */
    public int slicesPerTimePoint() { return planes.size() / timePoints / channels; }

    /** Channels of a multi-channel image made by {@link #ofChannels}; 1 otherwise (one channel is read at a time). */
    public int channels() { return channels; }

    /**
     * One multi-channel image from per-channel images of one shape (same planes, time points and calibration), its
     * planes interleaved as ImageJ orders a hyperstack: channel fastest, then slice, then time point.
     */
    public static ImageData ofChannels(List<ImageData> perChannel) {
        if (perChannel.isEmpty()) throw new IllegalArgumentException("no channels");
        ImageData first = perChannel.get(0);
        if (perChannel.size() == 1) return first;
        for (ImageData c : perChannel) {
            if (c.size() != first.size() || c.width() != first.width() || c.height() != first.height() || c.timePoints != first.timePoints) {
                throw new IllegalArgumentException("channels must share one shape");
            }
        }
        List<Plane> planes = new ArrayList<>(first.size() * perChannel.size());
        for (int i = 0; i < first.size(); i++) for (ImageData c : perChannel) planes.add(c.plane(i));
        ImageData d = new ImageData(planes, first.calibration, first.bitDepth);
        d.info.putAll(first.info);
        d.timePoints = first.timePoints;
        d.channels = perChannel.size();
        return d;
    }

    /** Channel {@code c} (0-based) of an image made by {@link #ofChannels}, with its time points. */
    public ImageData channel(int c) {
        if (c < 0 || c >= channels) throw new IllegalArgumentException("channel " + (c + 1) + " of " + channels);
        if (channels == 1) return this;
        List<Plane> own = new ArrayList<>(planes.size() / channels);
        for (int i = c; i < planes.size(); i += channels) own.add(planes.get(i));
        ImageData d = new ImageData(own, calibration, bitDepth);
        d.info.putAll(info);
        d.timePoints = timePoints;
        return d;
    }

    /** This image seen as {@code t} time points of {@code size() / t} slices each (the same planes, in that order). */
    public ImageData withTimePoints(int t) {
        if (t < 1 || planes.size() % t != 0) throw new IllegalArgumentException(planes.size() + " planes are not " + t + " time points");
        ImageData d = new ImageData(planes, calibration, bitDepth);
        d.info.putAll(info);
        d.timePoints = t;
        return d;
    }

    /** The volume of time point {@code t} (its planes, with this image's calibration and bit depth). */
    public ImageData timePoint(int t) {
        int z = slicesPerTimePoint();
        return new ImageData(planes.subList(t * z, (t + 1) * z), calibration, bitDepth);
    }

    public static ImageData stack(List<Plane> planes, Calibration calibration) {
        return new ImageData(new ArrayList<>(planes), calibration, 32);
    }

    public List<Plane> unmodifiablePlanes() { return Collections.unmodifiableList(planes); }
}
