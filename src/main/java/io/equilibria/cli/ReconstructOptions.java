package io.equilibria.cli;

import io.equilibria.errors.Setting;
import io.equilibria.reconstruct.methods.MethodConfig;
import org.apache.commons.cli.Options;

/** The options of {@code reconstruct}, and which setting of a request each one gives (for messages, see {@link Setting}). */
final class ReconstructOptions {
    private ReconstructOptions() {}

    static Options options() {
        return RegistrationArgs.addTo(new Options()
                .addOption(Args.required("input", "PATH", "image / measurement file, a directory of them, or a list of them "
                        + "(a .txt/.lst/.list file, one path per line, relative to the list's folder or absolute)"))
                .addOption(Args.required("output", "PATH", "output 32-bit TIFF (or directory when --input is one)"))
                .addOption(Args.opt("method", "M", "deblur: rl | rltv | wiener | tv | deq | pnp | oder (default rl); cs: tv | wiener | deq | pnp | oder (default tv). "
                        + "deq/pnp: learned DEQ-RED / DEQ-PnP (a trained model, see --model); oder: DEQ-RED with a random minibatch of "
                        + "--batch measurement blocks (frames of --multi-frame, CS row groups) per iteration"))
                .addOption(Args.opt("model", "NAME|PATH", "deq/pnp/oder: model name in models/ or a model file (default deq-deblur / deq-cs; "
                        + "pnp: deq-pnp-deblur / deq-pnp-cs; oder: oder-deblur / oder-cs)"))
                .addOption(Args.opt("solver", "S", "deq/pnp/oder: fixed-point solver, e.g. anderson | anderson:m=5,lambda=1e-4 | picard:beta=0.5 | broyden:m=30 | "
                        + "nesterov:window=W,average=A (default anderson; oder: nesterov with --window and --average)"))
                .addOption(Args.opt("strength", "S", "deq/pnp: prior strength, a multiple of the noise level the learned prior "
                        + "sees: auto (deblur: chosen per image by Stein's unbiased estimate of the prediction error, SURE, "
                        + "which also blends the result with the Laplacian-penalised Wiener at its own SURE-best weight, "
                        + "by the blend weight of least SURE (0 = the Wiener alone); the report and the summary say which; "
                        + "cs: chosen by cross-validation, one measurement row in 10 held out) | auto:deq (the same without the "
                        + "Wiener) | a number (1 = the model as trained) (default auto)"))
                .addOption(Args.opt("batch", "B", "oder: measurement blocks per iteration (default 2)"))
                .addOption(Args.opt("sampling", "S", "oder: uniform (B blocks without replacement) | stratified (one block from each of B "
                        + "contiguous strata) (default uniform)"))
                .addOption(Args.opt("scaling", "S", "oder: unbiased (minibatch gradient x I/B) | raw (unscaled, RED weight tau x B/I) (default unbiased)"))
                .addOption(Args.opt("window", "W", "oder: stop when the mean relative change of the last W iterations is below the tolerance (default 5)"))
                .addOption(Args.opt("average", "A", "oder: the result is the mean of the last A iterates (default 5; 1 = last iterate)"))
                .addOption(Args.opt("seed", "N", "oder: seed of the minibatch draws (default 0)"))
                .addOption(Args.opt("step", "S", "oder: safe (step shortened to 1/L, same fixed point; default) | model (the model's own step, "
                        + "for Anderson)"))
                .addOption(Args.opt("psf", "SPEC", "deblur: FILE | gaussian:SIGMA_PX | airy:NA,LAMBDA_NM,PIXEL_NM; repeated, or a "
                        + "multi-channel PSF file: one PSF per channel of a multi-channel stack"))
                .addOption(Args.opt("iterations", "N", "iterations (default per method: rl 30, rltv 50, tv 100 (deblur) / 300 (cs), wiener <=200 CG, deq/pnp <= "
                        + MethodConfig.DEQ_ITERATIONS + ", oder <= " + MethodConfig.ODER_ITERATIONS + " solver iterations)"))
                .addOption(Args.opt("lambda", "L", "regularisation weight (rltv: TV weight; wiener: Tikhonov; tv: TV); default from the noise level"))
                .addOption(Args.opt("tolerance", "T", "stop when the relative change (tv, wiener) or fixed-point residual (deq, pnp, oder; default "
                        + MethodConfig.DEQ_TOLERANCE + ") falls below T"))
                .addOption(Args.opt("multi-frame", null, "deblur: the stack's K planes are K observations of one scene; PSF has K slices"))
                .addOption(Args.opt("register", null, "deblur --multi-frame: register the frames first (drift, rotation: OpenCV phase "
                        + "correlation then ECC, as the register command) and turn each frame's PSF as its frame was turned; frames "
                        + "registered with low confidence are refused"))
                .addOption(Args.opt("3d", null, "deblur: the stack is one volume blurred by a 3D PSF (implied by a PSF with several "
                        + "slices unless --multi-frame); the PSF's voxel size is matched to the data's"))
                .addOption(Args.opt("boundary", "B", "deblur: extended | zero | periodic (default extended: no wrap-around)"))
                .addOption(Args.opt("normalize", "N", "deblur: scale (divide by the 99.8th percentile above the camera offset; "
                        + "nothing clipped) | percentile[:LO,HI] (subtract the LO-th percentile) | minmax | none (default scale)"))
                .addOption(Args.opt("offset", "O", "deblur: camera offset in input units, subtracted before and added back "
                        + "after: a number | auto (16-bit images with a flat dark background: estimated from it, less what its shot noise shows to be signal) | none "
                        + "(default auto; the report says which was used)"))
                .addOption(Args.opt("noise-sigma", "S", "noise sigma in input units (deblur default: estimated from the image, robust MAD; "
                        + "cs default: from the measurement file, else estimated for deq/pnp)"))
                .addOption(Args.opt("reference", "GT|DIR", "deblur: ground truth; for one image the report then holds the PSNR after every iteration "
                        + "and the best iteration; for a directory, a directory holding each image's ground truth at the same relative path "
                        + "(any image extension), and every report row gets PSNR and SSIM"))
                .addOption(Args.opt("recursive", null, "directory input: also process images in subdirectories (outputs mirror the tree)"))
                .addOption(Args.opt("include", "GLOB", "directory input: only files matching GLOB (repeatable; matched against the file name, "
                        + "or the relative path if GLOB holds '/'), e.g. '*.tif'"))
                .addOption(Args.opt("exclude", "GLOB", "directory input: skip files matching GLOB (repeatable)"))
                .addOption(Args.opt("shard", "I/N", "directory input: process only shard I of N (1 <= I <= N) of the sorted file list, "
                        + "so N jobs (e.g. a SLURM array) cover the batch exactly once"))
                .addOption(Args.opt("resume", null, "directory input: skip images a previous run of this batch finished (its journal "
                        + "OUTPUT/.equilibria-batch*.jsonl says so and the output exists); failed or interrupted ones are redone"))
                .addOption(Args.opt("max-memory", "SIZE", "deblur: memory budget, e.g. 2g or 1500m (default: 3/4 of the machine's memory); "
                        + "an image that does not fit is solved in overlapping tiles, blended seamlessly"))
                .addOption(Args.opt("tile", "N", "deblur: solve in overlapping tiles of at most N x N pixels (plus halo) whatever the memory budget"))
                .addOption(Args.opt("warm-start", "MODE", "deblur stacks with deq/pnp/oder: on (each slice starts from the previous slice's "
                        + "fixed point; default) | off | verify (also solve every slice cold and report the iterations saved and the difference)"))
                .addOption(Args.opt("follow-drift", "on|off", "deblur stacks with warm starts: move the previous slice's fixed point by the "
                        + "drift measured between the two slices (phase correlation) before it starts the next, so a drifting time-lapse "
                        + "keeps its saving (default on)"))
                .addOption(Args.opt("channel", "C", "for colour input: red|green|blue|luminance or a channel number"))
                .addOption(Args.opt("side-by-side", "PNG", "deblur, single image: also run Richardson-Lucy (30 iterations) and write input | RL | result as one PNG"))
                .addOption(Args.opt("report", "R.json|R.csv", "write a report: JSON (method, iterations, device, time, parameters; a batch "
                        + "adds a summary and a row per image) or, for a name ending .csv, one CSV row per image"))
                .addOption(Args.opt("device", "D", "auto | cpu | gpu (default auto)")), "with --register: ");
    }


    /** The option that gives each setting, so the core's messages can say which flag is meant. */
    static String flag(Setting s) {
        return switch (s) {
            case METHOD -> "--method";
            case MODEL -> "--model";
            case SOLVER -> "--solver";
            case STRENGTH -> "--strength";
            case ITERATIONS -> "--iterations";
            case LAMBDA -> "--lambda";
            case TOLERANCE -> "--tolerance";
            case PSF -> "--psf";
            case NOISE_SIGMA -> "--noise-sigma";
            case BOUNDARY -> "--boundary";
            case NORMALIZATION -> "--normalize";
            case OFFSET -> "--offset";
            case MULTI_FRAME -> "--multi-frame";
            case REGISTRATION -> "--register";
            case VOLUME -> "--3d";
            case REFERENCE -> "--reference";
            case MEMORY_BUDGET -> "--max-memory";
            case TILE -> "--tile";
            case WARM_START -> "--warm-start";
            case CHANNEL -> "--channel";
            case SIDE_BY_SIDE -> "--side-by-side";
            case DEVICE -> "--device";
            case ODER -> "--batch/--sampling/--scaling/--window/--average/--seed/--step";
            case MINIBATCH -> "--batch";
            case SCALING -> "--scaling";
            case AVERAGE -> "--average";
            case SHARD -> "--shard";
            case INCLUDE -> "--include";
            case EXCLUDE -> "--exclude";
            case RECURSIVE -> "--recursive";
            case SMOOTHING_SIGMA, SAMPLES, SRS_STEPS, EPOCHS, LEARNING_RATE, CHECKPOINT, DENOISER, BEAD_BOX, BEADS -> null;
            case INPUT -> "--input";
            case OUTPUT -> "--output";
            case REPORT -> "--report";
        };
    }
}
