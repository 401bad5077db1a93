package io.equilibria.run;

import ai.djl.Device;
import io.equilibria.errors.InvalidRequestException;
import io.equilibria.errors.Setting;
import io.equilibria.image.ImageData;
import io.equilibria.physics.MeasurementFile;
import io.equilibria.physics.Psf;
import io.equilibria.reconstruct.deq.PriorStrength;
import io.equilibria.reconstruct.methods.CompressedSensingReconstruction;
import io.equilibria.reconstruct.methods.Deconvolution;
import io.equilibria.reconstruct.methods.MethodConfig;
import io.equilibria.reconstruct.methods.TiledDeconvolution;
import io.equilibria.reconstruct.report.Reconstruction;
import io.equilibria.solvers.IterationListener;

import java.util.List;

/**
 * One reconstruction as a user asked for it, whatever the front end: the task, the method and its knobs, and for
 * deblurring the PSF and the deblur options; for CS the noise level in measurement units (NaN: from the file). It is
 * checked when made, so a front end only translates its user's words into one and reports what it is told.
 * {@link #solve} runs it on an image in memory (ImageJ); {@link ReconstructRunner} runs it over files.
 * <p>{@code channelPsfs}: one PSF per channel of a multi-channel stack (channel c deconvolved with PSF c), or empty
 * (one PSF for every channel); {@code psf} is then the first.
 */
public record ReconstructRequest(Task task, MethodConfig method, Psf psf, Deconvolution.Options deblur, double csNoiseSigma,
                                 Device device, List<Psf> channelPsfs) {
    public enum Task {
        DEBLUR, CS;

        public String word() { return this == DEBLUR ? "deblur" : "cs"; }
    }

    public ReconstructRequest(Task task, MethodConfig method, Psf psf, Deconvolution.Options deblur, double csNoiseSigma, Device device) {
        this(task, method, psf, deblur, csNoiseSigma, device, List.of());
    }

    public ReconstructRequest {
        channelPsfs = channelPsfs == null ? List.of() : List.copyOf(channelPsfs);
        if (channelPsfs.size() == 1) { // one PSF for every channel
            if (psf == null) psf = channelPsfs.get(0);
            channelPsfs = List.of();
        }
        if (!channelPsfs.isEmpty()) {
            if (task == Task.CS) throw new InvalidRequestException(Setting.PSF, "applies to deblurring, not CS");
            if (psf == null) psf = channelPsfs.get(0);
            if (deblur == null) deblur = Deconvolution.Options.defaults();
            // every channel's PSF must suit the same kind of deconvolution as the first's
            for (int c = 1; c < channelPsfs.size(); c++) {
                Psf other = channelPsfs.get(c);
                if (other.isVolume() != psf.isVolume()) {
                    throw new InvalidRequestException(Setting.PSF, "of channel " + (c + 1) + " (" + other.description() + ") is "
                            + (other.isVolume() ? "3D" : "2D") + " but channel 1's (" + psf.description() + ") is " + (psf.isVolume() ? "3D" : "2D"));
                }
            }
        }
        boolean cs = task == Task.CS;
        if (!(cs ? MethodConfig.CS_METHODS : MethodConfig.DEBLUR_METHODS).contains(method.method())) {
            throw new InvalidRequestException(Setting.METHOD, "'" + method.method() + "' cannot " + (cs ? "reconstruct CS measurements"
                    : "deblur") + " (choose from " + (cs ? MethodConfig.CS_METHODS : MethodConfig.DEBLUR_METHODS) + ")");
        }
        if (method.iterations() < 0) throw new InvalidRequestException(Setting.ITERATIONS, "must be >= 1");
        if (method.lambda() < 0) throw new InvalidRequestException(Setting.LAMBDA, "must be >= 0");
        if (!method.learned() && method.model() != null) {
            throw new InvalidRequestException(Setting.MODEL, "applies only to the learned methods deq, pnp and oder");
        }
        if (!method.learned() && method.solver() != null) {
            throw new InvalidRequestException(Setting.SOLVER, "applies only to the learned methods deq, pnp and oder");
        }
        if (!MethodConfig.takesStrength(method.method()) && method.strength() != PriorStrength.AUTO) {
            throw new InvalidRequestException(Setting.STRENGTH, "applies only to the methods deq and pnp");
        }
        if (method.oder() != null && !method.method().equals("oder")) {
            throw new InvalidRequestException(Setting.ODER, "apply only to the method oder");
        }
        if (cs && (psf != null || deblur != null)) throw new InvalidRequestException(Setting.PSF, "applies to deblurring, not CS");
        if (!cs && psf == null) throw new InvalidRequestException(Setting.PSF, "is required for deblurring");
        if (!cs && deblur == null) deblur = Deconvolution.Options.defaults();
        // a 3D PSF means a volume, unless its planes are the PSFs of K views; a 2D PSF cannot deconvolve a volume
        if (!cs && psf.isVolume() && !deblur.multiFrame() && !deblur.volume()) deblur = deblur.withVolume(true);
        if (!cs && deblur.volume() && deblur.multiFrame()) {
            throw new InvalidRequestException(Setting.VOLUME, "and " + Setting.MULTI_FRAME + " exclude each other: a stack is either "
                    + "the planes of one volume or K views of one plane");
        }
        if (!cs && deblur.volume() && !psf.isVolume()) {
            throw new InvalidRequestException(Setting.VOLUME, "needs a 3D PSF (a z-stack, bornwolf or gibsonlanni); " + Setting.PSF
                    + " " + psf.description() + (psf.size() == 1 ? " has one plane" : " is a stack of per-frame PSFs"));
        }
        if (!cs && deblur.registration() != null && !deblur.multiFrame()) {
            throw new InvalidRequestException(Setting.REGISTRATION, "applies to " + Setting.MULTI_FRAME + " (the frames of one scene)");
        }
        if (!cs && !Double.isNaN(csNoiseSigma)) throw new InvalidRequestException(Setting.NOISE_SIGMA, "of CS measurements does not apply to deblurring");
        if (!cs && deblur.noiseSigma() < 0) throw new InvalidRequestException(Setting.NOISE_SIGMA, "must be >= 0");
        if (csNoiseSigma < 0) throw new InvalidRequestException(Setting.NOISE_SIGMA, "must be >= 0");
        if (method.learned()) io.equilibria.models.ModelStore.resolve(method.modelName(cs)); // a missing model fails now, not per image
    }

    public static ReconstructRequest deblur(MethodConfig method, Psf psf, Deconvolution.Options options, Device device) {
        return new ReconstructRequest(Task.DEBLUR, method, psf, options, Double.NaN, device);
    }

    public static ReconstructRequest cs(MethodConfig method, double noiseSigma, Device device) {
        return new ReconstructRequest(Task.CS, method, null, null, noiseSigma, device);
    }

    /** A deblur with one PSF per channel of a multi-channel stack (channel c with PSF c). */
    public static ReconstructRequest deblur(MethodConfig method, List<Psf> channelPsfs, Deconvolution.Options options, Device device) {
        return new ReconstructRequest(Task.DEBLUR, method, null, options, Double.NaN, device, channelPsfs);
    }

    /** This request with the deblur options changed (e.g. a reference for one image's PSNR trace). */
    public ReconstructRequest withDeblur(Deconvolution.Options options) {
        return new ReconstructRequest(task, method, psf, options, csNoiseSigma, device, channelPsfs);
    }

    /** Whether each channel has its own PSF. */
    public boolean perChannelPsfs() { return !channelPsfs.isEmpty(); }

    /**
     * The request for channel {@code c} (0-based) of an image of {@code count} channels: its own PSF when each channel
     * has one (their number must then match the channels'), else this request.
     */
    public ReconstructRequest forChannel(int c, int count) {
        Psf own = psf;
        if (!channelPsfs.isEmpty()) {
            if (channelPsfs.size() != count) {
                throw new io.equilibria.errors.InputException(channelPsfs.size() + " PSFs were given (one per channel) but the image has " + count
                        + " channel" + (count == 1 ? "" : "s") + "; give " + Setting.PSF + " once per channel, or once for all channels");
            }
            own = channelPsfs.get(c);
        }
        Deconvolution.Options o = deblur;
        if (o != null && o.reference() != null && count > 1 && o.reference().channels() == count) o = o.withReference(o.reference().channel(c));
        if (own == psf && o == deblur && channelPsfs.isEmpty()) return this;
        return new ReconstructRequest(task, method, own, o, csNoiseSigma, device, List.of());
    }

    /**
     * Deblurs every channel of a multi-channel image (made by {@link ImageData#ofChannels}), each with its PSF, into one
     * multi-channel result whose report lists the channels' solves in channel order. One channel: {@link #solve}.
     */
    public Reconstruction solveChannels(ImageData image, Deconvolution.PlaneListener listener) {
        int n = image.channels();
        if (n == 1 && channelPsfs.isEmpty()) return solve(image, listener);
        List<Reconstruction> each = new java.util.ArrayList<>(n);
        for (int c = 0; c < n; c++) each.add(forChannel(c, n).solve(image.channel(c), listener));
        return Reconstruction.ofChannels(each);
    }

    /** Deblurs an image or stack; {@code listener} sees every solve's iterations and may cancel. */
    public Reconstruction solve(ImageData image, Deconvolution.PlaneListener listener) {
        if (task != Task.DEBLUR) throw new IllegalStateException("a CS request reconstructs measurements, not an image");
        if (!deblur.multiFrame() && !deblur.volume()) psf.requireFits(image.width(), image.height());
        return Deconvolution.run(image, psf, method, deblur, device, listener);
    }

    /**
     * The deblur of {@code image} cut into parts that can be solved in other processes and assembled into exactly what
     * {@link #solveChannels} returns: every channel's tiles, channel after channel (see {@link TiledDeconvolution}).
     */
    public TiledDeconvolution tiled(ImageData image) {
        if (task != Task.DEBLUR) throw new IllegalStateException("a CS request reconstructs measurements, not an image");
        int n = image.channels();
        if (n == 1 && channelPsfs.isEmpty()) {
            if (!deblur.multiFrame() && !deblur.volume()) psf.requireFits(image.width(), image.height());
            return Deconvolution.tiled(image, psf, method, deblur, device);
        }
        List<TiledDeconvolution> each = new java.util.ArrayList<>(n);
        for (int c = 0; c < n; c++) each.add(forChannel(c, n).tiled(image.channel(c)));
        return TiledDeconvolution.sequence(each, each.get(0).grid() + " per channel", Reconstruction::ofChannels);
    }

    /** Reconstructs CS measurements. */
    public Reconstruction solve(MeasurementFile.Contents measurements, IterationListener listener) {
        if (task != Task.CS) throw new IllegalStateException("a deblur request needs an image, not measurements");
        return CompressedSensingReconstruction.run(measurements, method, device, listener, csNoiseSigma);
    }
}
