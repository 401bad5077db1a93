package io.equilibria.physics;

/** FFT-friendly sizes: the smallest n' >= n whose prime factors are 2, 3, 5 and 7. */
public final class FftSizes {
    private FftSizes() {}

    public static int fastSize(int n) {
        return smooth(n, new int[] {2, 3, 5, 7});
    }

    /**
     * The smallest n' >= n whose prime factors are 2, 3 and 5 (scipy's next_fast_len). Volumes use it: on a
     * 96×560×560 grid (560 = 2⁴·5·7) PyTorch's FFTs took about twice as long as on 96×576×576 (measured here).
     */
    public static int fastSize235(int n) {
        return smooth(n, new int[] {2, 3, 5});
    }

    private static int smooth(int n, int[] primes) {
        for (int m = Math.max(1, n); ; m++) {
            int r = m;
            for (int p : primes) while (r % p == 0) r /= p;
            if (r == 1) return m;
        }
    }
}
