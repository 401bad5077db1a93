package io.equilibria.physics;

import java.util.Locale;

/**
 * How a convolution treats the image edge.
 * <ul>
 *   <li>{@code PERIODIC}: circular convolution on the image grid (exact for periodic scenes, wraps otherwise).</li>
 *   <li>{@code ZERO}: the scene is dark outside the field of view (scipy's 'same' mode).</li>
 *   <li>{@code EXTENDED}: the unknown scene extends beyond the field of view by the PSF's reach and only the
 *       field of view is measured ('valid' model); nothing wraps, nothing is assumed outside. The default for
 *       reconstruction; results are cropped back to the field of view.</li>
 * </ul>
 */
public enum Boundary {
    PERIODIC, ZERO, EXTENDED;

    public static Boundary parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown boundary '" + s + "' (periodic, zero, extended)");
        }
    }

    @Override
    public String toString() { return name().toLowerCase(Locale.ROOT); }
}
