package io.equilibria.cli;

import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.errors.InputException;
import io.equilibria.metrics.ImageMetrics;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code metrics --reference GT --input X}: PSNR and SSIM as JSON, with the data range used. */
final class MetricsCommand implements Command {
    @Override public String name() { return "metrics"; }
    @Override public String summary() { return "PSNR and SSIM of an image against a reference (JSON)"; }

    @Override
    public Options options() {
        return new Options()
                .addOption(Args.required("reference", "GT", "reference (ground-truth) image"))
                .addOption(Args.required("input", "X", "image to score (same size; stacks plane by plane)"))
                .addOption(Args.opt("data-range", "L", "data range L for PSNR/SSIM (default: max - min of the reference)"))
                .addOption(Args.opt("device", "D", "auto | cpu (metrics are plain Java; gpu is refused)"));
    }

    @Override
    public int run(CommandLine l) {
        String device = io.equilibria.compute.Compute.plainJava(l.getOptionValue("device"), "metrics");
        Path refPath = Args.path(l, "reference"), inPath = Args.path(l, "input");
        ImageData ref = ImageFiles.read(refPath), in = ImageFiles.read(inPath);
        ImageFiles.requireFinite(ref, refPath.toString());
        ImageFiles.requireFinite(in, inPath.toString());
        if (ref.width() != in.width() || ref.height() != in.height() || ref.size() != in.size()) {
            throw new InputException("reference " + refPath + " is " + ref.width() + "x" + ref.height() + "x" + ref.size()
                    + " but " + inPath + " is " + in.width() + "x" + in.height() + "x" + in.size());
        }
        List<Map<String, Object>> planes = new ArrayList<>();
        double sumP = 0, sumS = 0;
        for (int i = 0; i < ref.size(); i++) {
            double range = l.hasOption("data-range") ? Args.dbl(l, "data-range", 1) : ImageMetrics.dataRange(ref.plane(i));
            Args.positive("data-range", range);
            double p = ImageMetrics.psnr(ref.plane(i), in.plane(i), range), s = ImageMetrics.ssim(ref.plane(i), in.plane(i), range);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("psnr", p);
            m.put("ssim", s);
            m.put("dataRange", range);
            planes.add(m);
            sumP += p;
            sumS += s;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("reference", refPath.toString());
        out.put("input", inPath.toString());
        out.put("psnr", sumP / ref.size());
        out.put("ssim", sumS / ref.size());
        out.put("dataRange", planes.get(0).get("dataRange"));
        if (ref.size() > 1) out.put("planes", planes);
        out.put("device", device);
        out.put("ssimSettings", "Gaussian window sigma 1.5 (11x11), K1 0.01, K2 0.03, population covariance");
        System.out.println(Json.text(out));
        return ExitCodes.OK;
    }
}
