package io.equilibria.certify;

import io.equilibria.certify.load.LoadedClassifier;

import ai.djl.Device;
import io.equilibria.certify.data.IdxDataset;
import io.equilibria.classify.EquilibriumClassifier;
import io.equilibria.classify.EquilibriumNet;
import io.equilibria.certify.lipschitz.Lben;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Every classifier shipped in models/: the LBEN inequality, accuracy on the sample test images, FB = PR, Lipschitz checks. */
class ShippedClassifiersTest {
    private static List<String> classifiers() {
        List<String> names = new ArrayList<>();
        for (String n : ModelStore.available()) {
            if ("classifier".equals(ModelStore.readCard(ModelStore.resolve(n)).kind())) names.add(n);
        }
        return names;
    }

    private static IdxDataset samples(String model, int limit) {
        Path dir = Path.of("sample-images", model.contains("fashion") ? "fashion-mnist-test-200" : "mnist-test-200");
        return IdxDataset.read(dir.resolve("t10k-images-idx3-ubyte.gz"), dir.resolve("t10k-labels-idx1-ubyte.gz"), limit);
    }

    @Test
    void theProjectShipsAMonDeqAndAnLbenForMnist() {
        List<String> names = classifiers();
        assertTrue(names.contains("mondeq-mnist") && names.contains("lben-mnist"), "shipped classifiers: " + names);
    }

    @Test
    @SuppressWarnings("unchecked")
    void everyShippedClassifierSatisfiesTheLbenInequalityAndItsCardsAccuracy() {
        for (String name : classifiers()) {
            try (LoadedClassifier m = LoadedClassifier.load(name, null, Device.cpu())) {
                if (m.classifier() instanceof io.equilibria.classify.ConvEquilibriumClassifier conv) {
                    if (conv.net().config().kind() == EquilibriumNet.Kind.LBEN) {
                        double margin = conv.net().lmiMargin();
                        assertTrue(margin >= -1e-6, name + ": conv LBEN inequality violated, margin " + margin);
                        assertTrue(m.certifier().lipschitzBound() == conv.net().config().gamma(), name + ": the certified bound is the prescribed gamma");
                    }
                } else if (!(m.classifier() instanceof io.equilibria.classify.geq.GeqClassifier)) { // a GEQ has no LBEN form
                    EquilibriumNet net = ((EquilibriumClassifier) m.classifier()).net();
                    Lben l = net.toLben();
                    double margin = l.schurMargin();
                    assertTrue(margin >= -1e-9 * Math.max(1, l.gamma()), name + ": LBEN inequality violated, margin " + margin);
                    if (net.config().kind() == EquilibriumNet.Kind.LBEN) {
                        assertTrue(l.gamma() == net.config().gamma(), name + ": the certified bound is the prescribed gamma");
                    }
                }
                IdxDataset d = samples(name, 200);
                int ok = 0;
                int[] labels = m.classifier().classify(d.images());
                for (int i = 0; i < labels.length; i++) if (labels[i] == d.labels()[i]) ok++;
                double acc = ok / (double) labels.length;
                if (m.classifier() instanceof io.equilibria.classify.geq.GeqClassifier g) {
                    assertEquals(0, g.unconvergedBatches(), name + ": the GEQ solve must reach its tolerance");
                }
                ModelCard card = ModelStore.readCard(ModelStore.resolve(name));
                double stated = ((Number) ((Map<String, Object>) card.validation()).get("accuracy")).doubleValue();
                // 200 images: a binomial standard error of up to 3.5 points
                assertTrue(acc >= stated - 0.06, name + ": " + acc + " on the sample images vs " + stated + " on the card");
            }
        }
    }

    @Test
    void forwardBackwardAndPeacemanRachfordAgreeOnShippedModels() {
        for (String name : List.of("mondeq-mnist", "lben-mnist")) {
            try (LoadedClassifier m = LoadedClassifier.load(name, null, Device.cpu())) {
                EquilibriumNet net = ((EquilibriumClassifier) m.classifier()).net();
                IdxDataset d = samples(name, 40);
                EquilibriumNet fbNet = new EquilibriumNet(net.config().withSolver(EquilibriumNet.Method.FB, 1e-6, 20_000));
                fbNet.initialize(net.parameter("U").getManager());
                for (var p : net.getParameters()) fbNet.parameter(p.getKey()).set(p.getValue().getArray().toFloatArray());
                try (EquilibriumClassifier fb = new EquilibriumClassifier(fbNet)) {
                    assertArrayEquals(m.classifier().classify(d.images()), fb.classify(d.images()), name + ": FB and PR labels differ");
                }
            }
        }
    }

    @Test
    void lbenLocalLipschitzConstantsStayBelowTheBound() {
        try (LoadedClassifier m = LoadedClassifier.load("lben-mnist", null, Device.cpu())) {
            Lben l = ((EquilibriumClassifier) m.classifier()).net().toLben();
            IdxDataset d = samples("lben-mnist", 10);
            double max = 0;
            for (float[] img : d.images()) {
                double[] x = new double[img.length];
                for (int i = 0; i < x.length; i++) x[i] = img[i];
                max = Math.max(max, l.jacobianNorm(x));
            }
            assertTrue(max <= l.gamma() * (1 + 1e-9), "local Lipschitz " + max + " above the bound " + l.gamma());
            assertFalse(max < 0.1 * l.gamma(), "a trained LBEN uses a good part of its bound; got " + max);
        }
    }

    @Test
    void convLbenLocalLipschitzConstantsStayBelowTheBound() {
        org.junit.jupiter.api.Assumptions.assumeTrue(classifiers().contains("lben-conv-mnist"), "no lben-conv-mnist shipped");
        try (LoadedClassifier m = LoadedClassifier.load("lben-conv-mnist", null, Device.cpu())) {
            var conv = (io.equilibria.classify.ConvEquilibriumClassifier) m.classifier();
            var net = conv.net();
            var ops = io.equilibria.compute.Autograd.noGrad(() -> net.operators(net.parameter("U").getManager(), conv.alpha()));
            IdxDataset d = samples("lben-conv-mnist", 3);
            double max = 0;
            for (float[] img : d.images()) max = Math.max(max, net.jacobianNorm(ops, img, 6));
            double gamma = net.config().gamma();
            assertTrue(max <= gamma * 1.001, "local Lipschitz " + max + " above the bound " + gamma);
            assertFalse(max < 0.02 * gamma, "a trained conv LBEN uses some of its bound; got " + max);
        }
    }
}
