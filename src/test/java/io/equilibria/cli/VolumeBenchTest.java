package io.equilibria.cli;

import io.equilibria.image.Volume;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code bench 3d} end to end on tiny volumes: every section and row is there and every number is finite (not a timing test). */
class VolumeBenchTest {
    private static final Pattern NUMBER = Pattern.compile("[-+]?\\d+(\\.\\d+)?");

    @Test
    void benchThreeDPrintsEveryRowWithFiniteNumbers(@TempDir Path dir) throws Exception {
        Path csv = dir.resolve("bench3d.csv");
        String out = captured(() -> assertEquals(0, Main.run("bench", "3d", "--phantoms", "1", "--size", "24x24x8", "--sizes", "8x32x32",
                "--iterations", "2", "--baseline-iterations", "10", "--csv", csv.toString())));
        for (String s : List.of("# bench 3d", "### Quality", "### Speed and memory")) assertTrue(out.contains(s), s + " missing in:\n" + out);

        // quality: one phantom row, cells: phantom, voxel, PSF, photons, zero best (it.), mirror best (it.), rl (best, it.), gain, seconds
        String[] q = row(out, "| mixture (7001) |");
        assertEquals(9, q.length, "quality row: " + String.join("|", q));
        double zero = first(q[4]), mirror = first(q[5]), rl = first(q[6]), gain = first(q[7]);
        for (double v : new double[] {zero, mirror, rl, gain}) assertTrue(Double.isFinite(v), String.join("|", q));
        assertEquals(rl - Math.max(zero, mirror), gain, 0.011, "the gain is rl over the better baseline");
        assertTrue(zero > 0 && mirror > 0 && rl > 0, "PSNRs are positive dB: " + String.join("|", q));

        Matcher g = Pattern.compile("rl gain over best zero-boundary RL: ([-+]\\d+\\.\\d+) dB").matcher(out);
        assertTrue(g.find(), "gain line missing in:\n" + out);
        assertEquals(gain, Double.parseDouble(g.group(1)), 1e-9);
        assertTrue(out.contains("deq: skipped") || out.contains("deq gain over best zero-boundary RL: "), "deq is either run or skipped with a line");

        // speed: one volume row: volume, PSF, grid, s/it, RSS, zero s/it, RSS, ratio
        String[] s = row(out, "| 8x32x32 |");
        assertEquals(8, s.length, "speed row: " + String.join("|", s));
        assertEquals("31x31x7", s[1], "the 33^3 PSF cut to the volume");
        for (int i = 3; i <= 7; i++) {
            double v = first(s[i]);
            assertTrue(Double.isFinite(v) && v > 0, "speed cell " + i + ": " + s[i]);
        }

        List<String> lines = Files.readAllLines(csv);
        assertEquals(1 + 3 + 2, lines.size(), "header, 3 quality rows (rl, zero, mirror-padded), 2 speed rows:\n" + lines);
        for (String line : lines.subList(1, lines.size())) {
            Matcher m = NUMBER.matcher(line.replaceAll("seed \\d+|\\d+x\\d+x\\d+", ""));
            int numbers = 0;
            while (m.find()) {
                assertTrue(Double.isFinite(Double.parseDouble(m.group())), line);
                numbers++;
            }
            assertTrue(numbers >= 3, "numbers in " + line);
            assertFalse(line.contains("NaN") || line.contains("Infinity"), line);
        }
    }

    @Test
    void badOptionsAreUsageErrors() {
        assertEquals(ExitCodes.USAGE, Main.run("bench", "3d", "--size", "24x24"));
        assertEquals(ExitCodes.USAGE, Main.run("bench", "3d", "--size", "8x8x8"));
        assertEquals(ExitCodes.USAGE, Main.run("bench", "3d", "--sizes", "64x256"));
        assertEquals(ExitCodes.USAGE, Main.run("bench", "3d", "--skip-quality", "--skip-speed"));
        assertEquals(ExitCodes.USAGE, Main.run("bench", "3d", "--iterations", "0"));
        assertEquals(ExitCodes.BAD_INPUT, Main.run("bench", "3d", "--deq-model", "no-such-model", "--skip-speed"));
    }

    @Test
    void mirrorPaddingIsNumpysReflect() {
        // numpy.pad([0, 1, 2, 3, 4], 4, mode="reflect") = [4 3 2 1 | 0 1 2 3 4 | 3 2 1 0]
        int[] got = new int[13];
        for (int i = -4; i < 9; i++) got[i + 4] = VolumeBench.reflect(i, 5);
        assertArrayEquals(new int[] {4, 3, 2, 1, 0, 1, 2, 3, 4, 3, 2, 1, 0}, got);
        Volume v = new Volume(3, 2, 2, new float[] {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11});
        Volume p = VolumeBench.reflectPad(v, 1, 1, 1);
        assertEquals(5 * 4 * 4, p.data().length);
        assertArrayEquals(v.data(), VolumeBench.crop(p, 1, 1, 1, 3, 2, 2).data());
        assertEquals(v.get(1, 1, 1), p.get(0, 0, 0)); // the corner mirrors voxel (1, 1, 1)
    }

    private static String[] row(String out, String start) {
        List<String> rows = out.lines().filter(l -> l.startsWith(start)).toList();
        assertEquals(1, rows.size(), "rows starting " + start + " in:\n" + out);
        String r = rows.get(0).trim();
        return Arrays.stream(r.substring(1, r.length() - 1).split("\\|")).map(String::trim).toArray(String[]::new);
    }

    private static double first(String cell) {
        Matcher m = NUMBER.matcher(cell);
        assertTrue(m.find(), "no number in '" + cell + "'");
        return Double.parseDouble(m.group());
    }

    private static String captured(Runnable r) {
        PrintStream old = System.out;
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        System.setOut(new PrintStream(b, true));
        try {
            r.run();
        } finally {
            System.setOut(old);
        }
        return b.toString();
    }
}
