package io.equilibria.image;

import io.equilibria.errors.Setting;

import ij.process.ColorProcessor;
import ij.process.FloatProcessor;

import java.util.Locale;

/** An explicit choice of channel for colour or multi-channel input; there is no implicit conversion. */
public final class ChannelChoice {
    public static final ChannelChoice NONE = new ChannelChoice("none", 0);
    /** Every channel of a multi-channel stack, each reconstructed on its own (with its own PSF when given). */
    public static final ChannelChoice ALL = new ChannelChoice("all", -1);

    private final String name;
    private final int index;

    private ChannelChoice(String name, int index) {
        this.name = name;
        this.index = index;
    }

    /** Channel {@code i} (1-based) of a multi-channel stack. */
    public static ChannelChoice number(int i) {
        if (i < 1) throw new IllegalArgumentException("channels are numbered from 1, got " + i);
        return new ChannelChoice("channel " + i, i);
    }

    public boolean isAll() { return this == ALL; }

    /** {@code red|green|blue|luminance} for RGB, {@code all}, or a 1-based channel number for multi-channel stacks. */
    public static ChannelChoice parse(String s) {
        if (s == null || s.isBlank()) return NONE;
        String v = s.trim().toLowerCase(Locale.ROOT);
        switch (v) {
            case "red": case "r": return new ChannelChoice("red", 1);
            case "green": case "g": return new ChannelChoice("green", 2);
            case "blue": case "b": return new ChannelChoice("blue", 3);
            case "luminance": case "luma": return new ChannelChoice("luminance", 0);
            case "all": return ALL;
            default:
                try {
                    int i = Integer.parseInt(v);
                    if (i < 1) throw new NumberFormatException();
                    return new ChannelChoice("channel " + i, i);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException(Setting.CHANNEL + " must be red, green, blue, luminance, all or 1..C, got '" + s + "'");
                }
        }
    }

    public int index() { return index; }

    FloatProcessor extract(ColorProcessor cp) {
        if (name.equals("luminance")) {
            // Rec. 601 weights, stated rather than ImageJ's user-configurable default
            int[] rgb = (int[]) cp.getPixels();
            float[] out = new float[rgb.length];
            for (int i = 0; i < rgb.length; i++) {
                int c = rgb[i];
                out[i] = 0.299f * ((c >> 16) & 0xff) + 0.587f * ((c >> 8) & 0xff) + 0.114f * (c & 0xff);
            }
            return new FloatProcessor(cp.getWidth(), cp.getHeight(), out);
        }
        return cp.toFloat(index - 1, null);
    }

    @Override
    public String toString() { return name; }
}
