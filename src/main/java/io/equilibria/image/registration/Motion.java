package io.equilibria.image.registration;

import java.util.Locale;

/** The motion a registration may find between two frames, as OpenCV's ECC names them. */
public enum Motion {
    /** A shift in x and y (stage or thermal drift). */
    TRANSLATION(org.bytedeco.opencv.global.opencv_video.MOTION_TRANSLATION),
    /** A rotation and a shift (a view turned on the stage). */
    EUCLIDEAN(org.bytedeco.opencv.global.opencv_video.MOTION_EUCLIDEAN),
    /** Any 2×3 affine map (also scale and shear). */
    AFFINE(org.bytedeco.opencv.global.opencv_video.MOTION_AFFINE);

    final int opencv;

    Motion(int opencv) { this.opencv = opencv; }

    public static Motion parse(String s) {
        return switch (s.trim().toLowerCase(Locale.ROOT)) {
            case "translation", "shift" -> TRANSLATION;
            case "euclidean", "rigid" -> EUCLIDEAN;
            case "affine" -> AFFINE;
            default -> throw new IllegalArgumentException("unknown motion '" + s + "' (translation, euclidean or affine)");
        };
    }
}
