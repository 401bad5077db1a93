package io.equilibria.reconstruct.deq;

import java.util.Locale;

/**
 * The iteration map of a learned reconstruction, with data term g(x) = ½‖Ax − y‖² and denoiser D:
 * <ul>
 *   <li>{@code RED} (gradient form): T(x) = P₊( x − γ (Aᵀ(Ax − y) + τ (x − D(x))) );</li>
 *   <li>{@code PNP} (proximal-gradient form): T(x) = P₊( D(x − γ Aᵀ(Ax − y)) ).</li>
 * </ul>
 * P₊ clips to non-negative intensities (fluorescence is non-negative).
 */
public enum DeqForm {
    RED, PNP;

    public static DeqForm parse(String s) {
        switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "red": case "deq": case "deq-red": return RED;
            case "pnp": case "deq-pnp": return PNP;
            default: throw new IllegalArgumentException("unknown DEQ form '" + s + "' (red or pnp)");
        }
    }
}
