package io.equilibria.physics;

/** FFT-friendly sizes: the smallest n' >= n whose prime factors are 2, 3, 5 and 7. */
public final class FftSizes {
    private FftSizes() {}

    public static int fastSize(int n) {
        for (int m = Math.max(1, n); ; m++) {
            int r = m;
            for (int p : new int[] {2, 3, 5, 7}) while (r % p == 0) r /= p;
            if (r == 1) return m;
        }
    }
}
