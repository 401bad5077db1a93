package io.equilibria.compute;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident memory of this process as the kernel counts it (Linux /proc), native tensors included. */
public final class ProcessMemory {
    private ProcessMemory() {}

    /** Peak resident set size (VmHWM) in MiB, or NaN where /proc is not available. */
    public static double peakRssMiB() {
        return field("VmHWM:");
    }

    /** Current resident set size (VmRSS) in MiB, or NaN. */
    public static double rssMiB() {
        return field("VmRSS:");
    }

    private static double field(String name) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith(name)) {
                    String[] p = line.substring(name.length()).trim().split("\\s+");
                    return Double.parseDouble(p[0]) / 1024.0; // kB
                }
            }
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
        return Double.NaN;
    }
}
