package io.equilibria.compute;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Platform;

/** The few glibc calls the process settings need, through JNA; {@link #INSTANCE} is null off Linux/glibc. */
interface LibC extends Library {
    int malloc_trim(long pad);

    int mallopt(int param, int value);

    int setenv(String name, String value, int overwrite);

    String getenv(String name);

    LibC INSTANCE = Holder.load();

    final class Holder {
        private Holder() {}

        private static LibC load() {
            if (!Platform.isLinux()) return null;
            try {
                return Native.load("c", LibC.class);
            } catch (UnsatisfiedLinkError | RuntimeException e) {
                return null; // not glibc (e.g. musl)
            }
        }
    }
}
