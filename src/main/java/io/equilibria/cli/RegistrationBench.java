package io.equilibria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.equilibria.bench.LearnedBenchmark;
import io.equilibria.image.Calibration;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.image.registration.Transform2d;
import io.equilibria.reconstruct.report.ReportJson;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The registration part of {@code bench oder}: multi-view scenes whose specimen drifts (up to {@code drift} px in x and
 * y) and turns (up to {@code rotation} degrees) between views, made by {@code simulate deblur --drift --rotation} from
 * the evaluation images, then, through the CLI on files with default options: {@code register} (its transforms
 * against the simulation's truth, RMS over the field), and {@code reconstruct deblur --multi-frame} from the still
 * views (perfect alignment), from the moving views with {@code --register}, and from the moving views as they are.
 */
final class RegistrationBench {
    private RegistrationBench() {}

    static void run(List<LearnedBenchmark.Image> images, int views, double drift, double rotation, String method, Path work) throws IOException {
        Files.createDirectories(work);
        System.out.println();
        System.out.printf(Locale.ROOT, "## Registration before multi-frame deblurring: %d views, Gaussian PSF sigma 2 px stretched 2x at angles "
                + "pi k/%d, noise sigma 0.01, specimen drifting up to %.3g px in x and y and turning up to %.3g deg between views; "
                + "CLI defaults, method %s%n%n", views, views, drift, rotation, method);
        System.out.println("| image | register RMS error px (mean / worst frame) | PSNR still views | PSNR moving + --register | difference | PSNR moving, not registered | s still / registered |");
        System.out.println("|---|---|---|---|---|---|---|");
        double sumDiff = 0, worstDiff = Double.NEGATIVE_INFINITY, sumRms = 0;
        double worstRms = 0;
        for (int i = 0; i < images.size(); i++) {
            LearnedBenchmark.Image img = images.get(i);
            Path dir = work.resolve(String.format(Locale.ROOT, "%02d-%s", i, img.name().replaceAll("[^A-Za-z0-9_.-]", "_")));
            Files.createDirectories(dir);
            Path gt = dir.resolve("gt.tif");
            ImageFiles.writeFloatTiff(new ImageData(List.of(img.plane()), Calibration.none(), 32), gt);
            String seed = Long.toString(4242L + i);
            List<String> sim = List.of("simulate", "deblur", "--input", gt.toString(), "--psf", "gaussian:2", "--frames", Integer.toString(views),
                    "--noise-sigma", "0.01", "--seed", seed);
            cli(concat(sim, "--output", dir.resolve("still.tif").toString()));
            cli(concat(sim, "--output", dir.resolve("moving.tif").toString(), "--drift", Double.toString(drift), "--rotation", Double.toString(rotation)));
            cli("register", "--input", dir.resolve("moving.tif").toString(), "--output", dir.resolve("aligned.tif").toString(),
                    "--transforms", dir.resolve("transforms.json").toString());
            double[] rms = rms(dir.resolve("transforms.json"), dir.resolve("moving_motions.json"), img.plane().width(), img.plane().height());
            double[] still = reconstruct(dir, "still", method, gt, List.of()), reg = reconstruct(dir, "moving", method, gt, List.of("--register"));
            double[] raw = reconstruct(dir, "moving", method, gt, List.of());
            double diff = reg[0] - still[0];
            sumDiff += diff;
            worstDiff = Math.max(worstDiff, -diff);
            sumRms += rms[0];
            worstRms = Math.max(worstRms, rms[1]);
            System.out.printf(Locale.ROOT, "| %s | %.3f / %.3f | %.2f | %.2f | %+.2f | %.2f | %.0f / %.0f |%n", img.name(), rms[0], rms[1], still[0], reg[0],
                    diff, raw[0], still[1], reg[1]);
            System.out.flush();
        }
        System.out.printf(Locale.ROOT, "%nMean registration error %.3f px RMS (worst frame %.3f px; target <= 0.2). Registered minus still: mean %+.2f dB, "
                + "worst %+.2f dB (target within 0.3 dB). Work folder: %s%n", sumRms / images.size(), worstRms, sumDiff / images.size(), -worstDiff, work);
    }

    /**
     * Warm starts along a time-lapse ({@code reconstruct deblur --method deq --strength 1 --warm-start verify}: every warm solve paired
     * with a cold one, so the saving is measured): a still time-lapse (the same specimen, fresh noise per frame), a
     * drifting one ({@code pxPerFrame} px per frame) with the warm start moved by the measured drift (the default), and
     * the drifting one without ({@code --follow-drift off}).
     */
    static void warmStarts(List<LearnedBenchmark.Image> images, int frames, double pxPerFrame, Path work) throws IOException {
        Files.createDirectories(work);
        System.out.println();
        System.out.printf(Locale.ROOT, "## Warm starts along a time-lapse: %d frames, Gaussian PSF sigma 2 px, noise sigma 0.01, drift %.3g px per "
                + "frame; deq --strength 1 (a fixed strength: with auto, each slice's final solve starts from its own strength search, so a "
                + "warm start saves nothing) and --warm-start verify (iterations saved against the cold solves of the same frames)%n%n",
                frames, pxPerFrame);
        System.out.println("| image | saved, still | saved, drifting, drift followed | kept | saved, drifting, not followed | kept |");
        System.out.println("|---|---|---|---|---|---|");
        double sumKept = 0, worstKept = Double.POSITIVE_INFINITY;
        int counted = 0;
        for (int i = 0; i < images.size(); i++) {
            LearnedBenchmark.Image img = images.get(i);
            Path dir = work.resolve(String.format(Locale.ROOT, "%02d-%s", i, img.name().replaceAll("[^A-Za-z0-9_.-]", "_")));
            Files.createDirectories(dir);
            ImageData gt = new ImageData(List.of(img.plane()), Calibration.none(), 32);
            io.equilibria.physics.Psf one = io.equilibria.physics.Psf.of(io.equilibria.physics.PsfGenerator.gaussian(2, 0), "gaussian:2");
            List<io.equilibria.image.Plane> same = new ArrayList<>();
            for (int k = 0; k < frames; k++) same.add(one.single());
            io.equilibria.physics.Psf psfs = io.equilibria.physics.Psf.of(same, "gaussian:2");
            List<Transform2d> still = new ArrayList<>(), drifting = new ArrayList<>();
            double ux = Math.cos(Math.toRadians(30)), uy = Math.sin(Math.toRadians(30));
            for (int k = 0; k < frames; k++) {
                still.add(Transform2d.identity());
                drifting.add(Transform2d.translation(k * pxPerFrame * ux, k * pxPerFrame * uy));
            }
            io.equilibria.physics.Noise noise = new io.equilibria.physics.Noise(0.01, 0, 5151L + i);
            for (var c : List.of(java.util.Map.entry("still", still), java.util.Map.entry("drifting", drifting))) {
                ImageFiles.writeFloatTiff(io.equilibria.simulate.Simulator.deblurMoving(gt, psfs, noise, c.getValue(),
                        io.equilibria.physics.Boundary.EXTENDED, ai.djl.Device.cpu()).observations(), dir.resolve(c.getKey() + ".tif"));
            }
            double[] s = saving(dir, "still", List.of()), f = saving(dir, "drifting", List.of()), n = saving(dir, "drifting", List.of("--follow-drift", "off"));
            boolean some = s[0] > 0; // nothing to keep when the still time-lapse saves nothing (e.g. every solve hits the cap)
            double kept = some ? f[0] / s[0] : Double.NaN;
            if (some) {
                sumKept += kept;
                counted++;
                worstKept = Math.min(worstKept, kept);
            }
            System.out.printf(Locale.ROOT, "| %s | %.0f of %.0f (%.0f%%) | %.0f of %.0f (%.0f%%) | %s | %.0f of %.0f (%.0f%%) | %s |%n", img.name(),
                    s[0], s[1], 100 * s[0] / s[1], f[0], f[1], 100 * f[0] / f[1], some ? String.format(Locale.ROOT, "%.0f%%", 100 * kept) : "n/a",
                    n[0], n[1], 100 * n[0] / n[1], some ? String.format(Locale.ROOT, "%.0f%%", 100 * n[0] / s[0]) : "n/a");
            System.out.flush();
        }
        System.out.printf(Locale.ROOT, "%nDrifting with the drift followed keeps %.0f%% of the still time-lapse's saving on average, %.0f%% at worst, "
                + "over the %d image(s) whose still time-lapse saved anything (target >= 70%%). Work folder: %s%n",
                100 * sumKept / Math.max(counted, 1), counted > 0 ? 100 * worstKept : Double.NaN, counted, work);
    }

    /** Iterations saved by warm starts and the cold iterations of the same solves, from the report. */
    private static double[] saving(Path dir, String name, List<String> more) throws IOException {
        String tag = name + (more.isEmpty() ? "" : "-plain");
        Path report = dir.resolve(tag + "-warm.json");
        List<String> a = new ArrayList<>(List.of("reconstruct", "deblur", "--input", dir.resolve(name + ".tif").toString(), "--psf", "gaussian:2",
                "--method", "deq", "--strength", "1", "--warm-start", "verify", "--output", dir.resolve(tag + "-deq.tif").toString(), "--report", report.toString()));
        a.addAll(more);
        cli(a.toArray(String[]::new));
        JsonNode w = ReportJson.MAPPER.readTree(report.toFile()).get("warmStart");
        return new double[] {w.get("iterationsSaved").asDouble(), w.get("sameSolvesColdIterations").asDouble()};
    }

    /** PSNR and seconds of {@code reconstruct deblur --multi-frame} on {@code name}.tif with its PSF stack. */
    private static double[] reconstruct(Path dir, String name, String method, Path gt, List<String> more) throws IOException {
        String tag = name + (more.isEmpty() ? "" : "-registered");
        Path report = dir.resolve(tag + ".json");
        List<String> a = new ArrayList<>(List.of("reconstruct", "deblur", "--input", dir.resolve(name + ".tif").toString(), "--psf",
                dir.resolve(name + "_psf.tif").toString(), "--multi-frame", "--method", method, "--reference", gt.toString(),
                "--output", dir.resolve(tag + "-" + method + ".tif").toString(), "--report", report.toString()));
        a.addAll(more);
        long t0 = System.nanoTime();
        cli(a.toArray(String[]::new));
        double s = (System.nanoTime() - t0) / 1e9;
        return new double[] {ReportJson.MAPPER.readTree(report.toFile()).get("psnr").asDouble(), s};
    }

    /** Mean and worst per-frame RMS distance (px, over the field) between register's transforms and the simulation's. */
    static double[] rms(Path found, Path truth, int w, int h) throws IOException {
        JsonNode a = ReportJson.MAPPER.readTree(found.toFile()).get("frames"), b = ReportJson.MAPPER.readTree(truth.toFile()).get("frames");
        double sum = 0, worst = 0;
        for (int k = 0; k < b.size(); k++) {
            double d = matrix(a.get(k).get("matrix")).rmsDistance(matrix(b.get(k).get("matrix")), w, h);
            sum += d;
            worst = Math.max(worst, d);
        }
        return new double[] {sum / b.size(), worst};
    }

    private static Transform2d matrix(JsonNode m) {
        return new Transform2d(m.get(0).get(0).asDouble(), m.get(0).get(1).asDouble(), m.get(0).get(2).asDouble(),
                m.get(1).get(0).asDouble(), m.get(1).get(1).asDouble(), m.get(1).get(2).asDouble(), null, Double.NaN);
    }

    private static String[] concat(List<String> a, String... more) {
        List<String> all = new ArrayList<>(a);
        all.addAll(List.of(more));
        return all.toArray(String[]::new);
    }

    private static void cli(String... args) {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        int code;
        try {
            code = Main.run(args);
        } finally {
            System.setOut(out);
        }
        if (code != ExitCodes.OK) throw new IllegalStateException("bench: '" + String.join(" ", args) + "' exited with " + code);
    }
}
