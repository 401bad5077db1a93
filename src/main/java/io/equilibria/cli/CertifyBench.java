package io.equilibria.cli;

import ai.djl.Device;
import io.equilibria.bench.CertifyBenchmark;
import io.equilibria.certify.load.LoadedClassifier;
import io.equilibria.certify.lipschitz.Lben;
import io.equilibria.compute.Compute;
import io.equilibria.image.AtomicFiles;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import org.apache.commons.cli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** {@code bench certify}: SRS vs randomized smoothing, Lipschitz certificates, and the LBEN inequality of every shipped classifier. */
final class CertifyBench {
    private CertifyBench() {}

    static int run(CommandLine l) throws java.io.IOException {
        Path input = Path.of(l.getOptionValue("input", "sample-images/mnist-test-200"));
        int[] steps = Arrays.stream(l.getOptionValue("srs-steps", "1,2,3").split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        double[] radii = CertifyCommand.radii(l.getOptionValue("radii", "0,0.25,0.5,0.75"));
        double[] eps = CertifyCommand.radii(l.getOptionValue("eps", "36/255,72/255,108/255"));
        int n = Args.integer(l, "n", 10_000);
        CertifyBenchmark.Config c = new CertifyBenchmark.Config(input, Args.integer(l, "count", 100), Args.dbl(l, "sigma", 0.25),
                Args.integer(l, "n0", 100), n, Args.dbl(l, "alpha", 0.001), Args.integer(l, "sample-batch", 500), Args.lng(l, "seed", 0),
                steps, Args.integer(l, "srs-recheck", Math.min(400, n)), radii, eps, Args.integer(l, "search-steps", 300));
        Path out = Path.of(l.getOptionValue("output", "results/bench-certify"));
        Files.createDirectories(out);
        Device device = Compute.resolve(l.getOptionValue("device", "auto"));
        Map<String, Object> report = new LinkedHashMap<>();
        long t0 = System.nanoTime();
        String deqName = l.getOptionValue("model", "mondeq-mnist");
        if (!deqName.equalsIgnoreCase("none")) {
            try (LoadedClassifier deq = LoadedClassifier.load(deqName, null, device)) {
                report.put("smoothing", CertifyBenchmark.smoothing(deq, c, System.out, out.resolve("srs_vs_rs.png")));
            }
        }
        String lbenName = l.getOptionValue("lben-model", "lben-mnist");
        if (!lbenName.equalsIgnoreCase("none")) {
            try (LoadedClassifier lb = LoadedClassifier.load(lbenName, null, device)) {
                if (lb.classifier() instanceof io.equilibria.classify.ConvEquilibriumClassifier conv) {
                    report.put("lipschitz", CertifyBenchmark.lipschitz(lb, conv, c, System.out));
                } else if (lb.classifier() instanceof io.equilibria.classify.EquilibriumClassifier ec) {
                    Lben model = ec.net().toLben();
                    report.put("lipschitz", CertifyBenchmark.lipschitz(lb, model, c, System.out));
                } else {
                    throw new UsageException("--lben-model must be an LBEN or MonDEQ classifier; " + lb.description() + " has no Lipschitz bound");
                }
            }
        }
        // the LBEN inequality for every shipped classifier
        List<Map<String, Object>> lmi = new ArrayList<>();
        System.out.println("== LBEN inequality of every classifier on the model path (Schur complement of gamma I; >= 0 certifies)");
        for (String name : ModelStore.available()) {
            ModelCard card = ModelStore.readCard(ModelStore.resolve(name));
            if (!"classifier".equals(card.kind())) continue;
            try (LoadedClassifier m = LoadedClassifier.load(name, null, device)) {
                if (m.classifier() instanceof io.equilibria.classify.geq.GeqClassifier) {
                    lmi.add(Map.of("model", name, "note", "GEQ: no LBEN form (certify by smoothing)"));
                    System.out.printf(Locale.ROOT, "%-20s GEQ: no LBEN inequality (certify by smoothing)%n", name);
                    continue;
                }
                if (m.classifier() instanceof io.equilibria.classify.ConvEquilibriumClassifier conv) {
                    var cfg = conv.net().config();
                    Map<String, Object> r = new LinkedHashMap<>();
                    r.put("model", name);
                    if (cfg.kind() != io.equilibria.classify.EquilibriumNet.Kind.LBEN) {
                        r.put("note", "conv MonDEQ: no Lipschitz bound (smoothing only)");
                        lmi.add(r);
                        System.out.printf(Locale.ROOT, "%-20s conv MonDEQ: no LBEN inequality (certify by smoothing)%n", name);
                        continue;
                    }
                    double margin = conv.net().lmiMargin();
                    r.put("gamma", cfg.gamma());
                    r.put("schurMargin", margin);
                    r.put("method", "Lanczos (120 steps, full reorthogonalisation) on the Schur complement operator, float64 from the float32 weights");
                    r.put("holds", margin >= -1e-6 * Math.max(1, cfg.gamma()));
                    lmi.add(r);
                    System.out.printf(Locale.ROOT, "%-20s gamma %10.4f  margin %.3e  %s (conv, Lanczos)%n", name, cfg.gamma(), margin, (Boolean) r.get("holds") ? "holds" : "VIOLATED");
                    continue;
                }
                Lben lb = ((io.equilibria.classify.EquilibriumClassifier) m.classifier()).net().toLben();
                double margin = lb.schurMargin();
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("model", name);
                r.put("gamma", lb.gamma());
                r.put("schurMargin", margin);
                r.put("holds", margin >= -1e-9 * Math.max(1, lb.gamma()));
                lmi.add(r);
                System.out.printf(Locale.ROOT, "%-20s gamma %10.4f  margin %.3e  %s%n", name, lb.gamma(), margin, (Boolean) r.get("holds") ? "holds" : "VIOLATED");
            }
        }
        report.put("lmi", lmi);
        report.put("seconds", (System.nanoTime() - t0) / 1e9);
        AtomicFiles.writeString(out.resolve("bench_certify.json"), Json.text(report) + "\n");
        System.out.println("equilibria: wrote " + out.resolve("bench_certify.json") + (report.containsKey("smoothing") ? " and " + out.resolve("srs_vs_rs.png") : ""));
        return ExitCodes.OK;
    }
}
