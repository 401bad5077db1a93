package io.equilibria.cli;

import ai.djl.ndarray.NDManager;
import io.equilibria.compute.Compute;
import io.equilibria.image.ImageData;
import io.equilibria.image.ImageFiles;
import io.equilibria.models.ModelCache;
import io.equilibria.models.ModelCard;
import io.equilibria.models.ModelStore;
import io.equilibria.models.StoredModel;
import io.equilibria.priors.DenoiserHolder;
import io.equilibria.priors.TrainableDenoiser;
import io.equilibria.reconstruct.deq.DeqModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** A volumetric DEQ model (card {@code volume: true}) saved, loaded by path and run on a z-stack through the CLI. */
class VolumeDeqCommandTest {
    @TempDir
    Path dir;

    @AfterEach
    void forget() {
        ModelCache.clear();
    }

    @Test
    void aSavedVolumeModelLoadsAndDeconvolvesAStack() throws Exception {
        Path model = dir.resolve("models");
        Files.createDirectories(model);
        try (NDManager m = Compute.manager(ai.djl.Device.cpu())) {
            StoredModel base = ModelStore.load("deq-deblur", m);
            DeqModel from = (DeqModel) base.block();
            DeqModel v = new DeqModel(from.config().withVolume(true)).initialize(m);
            io.equilibria.train.DeqTrainingAccess.copy((TrainableDenoiser) DenoiserHolder.load("deq-deblur", m), v.denoiser(), m);
            ModelStore.save(model, ModelCard.of("vol3d", "deq-deblur", v.describe(), v.architecture(), null, Map.of("psnr", 0.0)), v);
        }
        StoredModel loaded = ModelCache.get(model.resolve("vol3d").toString(), ai.djl.Device.cpu());
        assertTrue(((DeqModel) loaded.block()).config().volume());
        assertEquals(true, loaded.card().architecture().hyperParameters().get("volume"));
        assertEquals("xy,xz,yz", loaded.card().architecture().hyperParameters().get("orientations"));

        Path gt = dir.resolve("gt.tif"), psf = dir.resolve("psf.tif"), y = dir.resolve("y.tif"), x = dir.resolve("x.tif");
        assertEquals(0, Main.run("simulate", "phantom", "--3d", "--size", "24x24x8", "--voxel-size", "0.1,0.3", "--kind", "mixture",
                "--seed", "3", "--output", gt.toString()));
        assertEquals(0, Main.run("psf", "bornwolf", "--na", "1.2", "--wavelength", "520", "--pixel-size", "100",
                "--slices", "5", "--z-step", "300", "--size", "7", "--output", psf.toString()));
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", psf.toString(),
                "--noise-sigma", "0.01", "--seed", "1", "--output", y.toString()));
        assertEquals(0, Main.run("reconstruct", "deblur", "--3d", "--input", y.toString(), "--psf", psf.toString(), "--method", "deq",
                "--model", model.resolve("vol3d").toString(), "--strength", "1", "--output", x.toString()));
        ImageData out = ImageFiles.read(x);
        assertEquals(8, out.size());
        assertEquals(24, out.width());
        for (int z = 0; z < out.size(); z++) for (float f : out.plane(z).data()) assertTrue(Float.isFinite(f));
    }

    /**
     * A DEQ model with a 3D CNN prior: the CLI deconvolves a z-stack with it (the prior on the whole volume, no planes)
     * and refuses a 2D image with a message naming the 3D mode.
     */
    @Test
    void aModelWithA3dCnnPriorDeconvolvesAStackAndRefusesImages() throws Exception {
        Path model = dir.resolve("models");
        Files.createDirectories(model);
        try (NDManager m = Compute.manager(ai.djl.Device.cpu())) {
            io.equilibria.priors.DnCnn3d.Config prior = io.equilibria.priors.DnCnn3d.Config.defaults().withDepth(3).withWidth(4).withNormSize(8);
            DeqModel v = new DeqModel(new DeqModel.Config(DeqModel.Task.DEBLUR, io.equilibria.reconstruct.deq.DeqForm.RED, prior, 1, 0.2, 1, 2)
                    .withVolume(true)).initialize(m);
            ((io.equilibria.priors.DnCnn3d) v.denoiser()).scaleKernelsToBound(30);
            ModelStore.save(model, ModelCard.of("cnn3d", "deq-deblur", v.describe(), v.architecture(), null, Map.of("psnr", 0.0)), v);
        }
        Path gt = dir.resolve("gt.tif"), psf = dir.resolve("psf.tif"), y = dir.resolve("y.tif"), x = dir.resolve("x.tif");
        assertEquals(0, Main.run("simulate", "phantom", "--3d", "--size", "24x24x8", "--voxel-size", "0.1,0.3", "--kind", "mixture",
                "--seed", "3", "--output", gt.toString()));
        assertEquals(0, Main.run("psf", "bornwolf", "--na", "1.2", "--wavelength", "520", "--pixel-size", "100",
                "--slices", "5", "--z-step", "300", "--size", "7", "--output", psf.toString()));
        assertEquals(0, Main.run("simulate", "deblur", "--input", gt.toString(), "--psf", psf.toString(),
                "--noise-sigma", "0.01", "--seed", "1", "--output", y.toString()));
        Path report = dir.resolve("r.json");
        assertEquals(0, Main.run("reconstruct", "deblur", "--3d", "--input", y.toString(), "--psf", psf.toString(), "--method", "deq",
                "--model", model.resolve("cnn3d").toString(), "--strength", "1", "--iterations", "5", "--output", x.toString(),
                "--report", report.toString()));
        ImageData out = ImageFiles.read(x);
        assertEquals(8, out.size());
        for (int z = 0; z < out.size(); z++) for (float f : out.plane(z).data()) assertTrue(Float.isFinite(f));
        Path img = dir.resolve("img.tif");
        assertEquals(0, Main.run("simulate", "phantom", "--size", "48x48", "--seed", "3", "--output", img.toString()));
        assertEquals(ExitCodes.BAD_INPUT, Main.run("reconstruct", "deblur", "--input", img.toString(), "--psf", "gaussian:2",
                "--method", "deq", "--model", model.resolve("cnn3d").toString(), "--output", dir.resolve("x2.tif").toString()));
    }
}
