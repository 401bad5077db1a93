#!/usr/bin/python3
"""bench 3d: 3D deconvolution of z-stacks through the CLI, against scikit-image's richardson_lucy, in one run.

Quality (``--quality``): for each case of a set (``tune`` or ``holdout``; the holdout seeds and PSFs are used for
nothing else), this script
  1. writes a 3D phantom larger than the field of view by the PSF's size in every axis
     (``equilibria simulate phantom --3d``), and a 3D PSF (``equilibria psf bornwolf|gibsonlanni``);
  2. blurs it (``equilibria simulate deblur --3d --boundary zero``, no noise) and crops the central field of view
     from the blurred and the true volumes, so the stack receives real light from outside it, as a microscope's does;
  3. adds Poisson-Gaussian camera noise (``photons`` expected at the blurred stack's 99.9th percentile, read noise
     in photons) and writes the stack twice: as float32 (in photons) and as a 16-bit camera file (offset 100 ADU,
     gain 1 ADU/photon), both with ImageJ calibration (voxel size in micron);
  4. runs the CLI with default options as a user would: ``reconstruct deblur --input y.tif --psf psf.tif
     --method rl|deq --output x.tif --report r.json`` (a 3D PSF implies ``--3d``);
  5. runs scikit-image 0.19 ``richardson_lucy(y, psf, num_iter=N, clip=False)`` on the float stack in photons (the
     16-bit file minus its offset), clipped at 0 as RL's Poisson model needs, with and without mirror padding by the PSF's half size (then cropped back), and
     takes the **oracle** best iteration in 1..N by PSNR against the truth. The per-iteration estimates are observed
     by wrapping the ``convolve`` that richardson_lucy calls (its first argument at every other call is the current
     estimate): scikit-image's own loop runs unchanged.
PSNR is over the field of view, data range = the truth's max - min, with every estimate divided by the photon scale
(CLI outputs of the 16-bit file minus the offset first).

Speed (``--speed``): seconds per RL iteration, the CLI's solver (its report: solve seconds / iterations, 20
iterations) against ``richardson_lucy`` (5 iterations, timed), on the same volume and PSF at 64x256x256 and
64x512x512; and the CLI's peak resident memory (its report).

Usage: /usr/bin/python3 scripts/bench_3d.py [--set tune|holdout] [--quality] [--speed] [--out DIR] [--jar JAR]
Needs Debian's python3-skimage and python3-tifffile; the jar built by ``mvn -DskipTests package``.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import tifffile
import skimage.restoration.deconvolution as skdeconv
from skimage.metrics import peak_signal_noise_ratio

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# (name, phantom kind, field WxHxD, voxel xy,z in micron, psf spec args, photons, read noise, seed)
SETS = {
    "tune": [
        ("widefield_oil_mixture", "mixture", (96, 96, 40), (0.1, 0.2),
         ["bornwolf", "--na", "1.4", "--wavelength", "520", "--refractive-index", "1.518"], 400, 2, 101),
        ("widefield_water_filaments", "filaments", (96, 96, 40), (0.12, 0.3),
         ["bornwolf", "--na", "1.1", "--wavelength", "600", "--refractive-index", "1.33"], 200, 3, 102),
    ],
    "holdout": [
        ("oil_mixture_na13", "mixture", (128, 128, 48), (0.1, 0.25),
         ["bornwolf", "--na", "1.3", "--wavelength", "510", "--refractive-index", "1.518"], 300, 2, 9001),
        ("water_cells_na12", "cells", (128, 128, 48), (0.13, 0.3),
         ["bornwolf", "--na", "1.2", "--wavelength", "580", "--refractive-index", "1.33"], 500, 2, 9002),
        ("oil_beads_na14", "beads", (128, 128, 48), (0.08, 0.2),
         ["bornwolf", "--na", "1.4", "--wavelength", "520", "--refractive-index", "1.518"], 150, 3, 9003),
        ("air_membranes_na08", "membranes", (128, 128, 40), (0.15, 0.4),
         ["bornwolf", "--na", "0.8", "--wavelength", "550", "--refractive-index", "1.0"], 800, 2, 9004),
    ],
}
OFFSET = 100.0
SK_ITERATIONS = 100


def cli(jar, *args, quiet=True):
    cmd = ["java", "-Dai.djl.offline=true", "-jar", jar, *map(str, args)]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"failed ({r.returncode}): {' '.join(cmd)}\n{r.stdout}\n{r.stderr}")
    return r.stdout


def write_stack(path, vol, voxel, dtype):
    tifffile.imwrite(path, vol.astype(dtype), imagej=True, resolution=(1 / voxel[0], 1 / voxel[0]),
                     metadata={"spacing": voxel[1], "unit": "micron", "axes": "ZYX"})


def read(path):
    return tifffile.imread(path).astype(np.float64)


def psnr(truth, est):
    return peak_signal_noise_ratio(truth, est, data_range=float(truth.max() - truth.min()))


def skimage_rl_trace(y, psf, n, truth, pad):
    """PSNR after each of n iterations of skimage's richardson_lucy, observed through the convolve it calls."""
    half = [s // 2 for s in psf.shape]
    y = np.clip(y, 0, None)  # RL's Poisson model needs y >= 0 (read noise makes some voxels negative); the CLI clips too
    data = np.pad(y, [(h, h) for h in half], mode="reflect") if pad else y
    crop = tuple(slice(h, h + s) for h, s in zip(half, y.shape)) if pad else tuple(slice(None) for _ in y.shape)
    scores = []
    calls = [0]
    original = skdeconv.convolve

    def watching(a, b, mode="same"):
        if calls[0] % 2 == 0 and calls[0] > 0:  # the estimate after calls/2 iterations
            scores.append(psnr(truth, a[crop]))
        calls[0] += 1
        return original(a, b, mode=mode)

    skdeconv.convolve = watching
    try:
        final = skdeconv.richardson_lucy(data.astype(np.float32), psf.astype(np.float32), num_iter=n, clip=False)
    finally:
        skdeconv.convolve = original
    scores.append(psnr(truth, final[crop]))
    best = int(np.argmax(scores))
    return scores[best], best + 1, scores


def make_case(jar, tmp, case):
    """The case's files in tmp; with a cache directory (--cases) made once and reused."""
    name = case[0]
    saved = os.path.join(tmp, name + "_case.npz")
    if os.path.exists(saved):
        z = np.load(saved)
        files = {"float": os.path.join(tmp, name + "_float.tif"), "uint16": os.path.join(tmp, name + "_u16.tif")}
        return z["truth"], z["noisy"], float(z["scale"]), os.path.join(tmp, name + "_psf.tif"), z["k"], files
    made = make_case_files(jar, tmp, case)
    truth, noisy, scale, _, k, _ = made
    np.savez(saved, truth=truth, noisy=noisy, scale=scale, k=k)
    return made


def make_case_files(jar, tmp, case):
    name, kind, (w, h, d), voxel, psf_args, photons, read_noise, seed = case
    psf = os.path.join(tmp, name + "_psf.tif")
    pd = d if d % 2 else d - 1  # PSF as deep as the stack allows (odd), as wide as it needs
    cli(jar, "psf", *psf_args, "--pixel-size", voxel[0] * 1000, "--z-step", voxel[1] * 1000, "--slices", pd, "--output", psf)
    k = read(psf)
    big = (w + k.shape[2], h + k.shape[1], d + k.shape[0])
    gt_big = os.path.join(tmp, name + "_gt_big.tif")
    cli(jar, "simulate", "phantom", "--3d", "--kind", kind, "--size", f"{big[0]}x{big[1]}x{big[2]}",
        "--voxel-size", f"{voxel[0]},{voxel[1]}", "--seed", seed, "--output", gt_big)
    blurred_big = os.path.join(tmp, name + "_blurred_big.tif")
    cli(jar, "simulate", "deblur", "--3d", "--input", gt_big, "--psf", psf, "--boundary", "zero", "--seed", 0,
        "--output", blurred_big)
    # the field sits in the middle of the phantom, except that cells lie on the coverslip (the phantom's z = 0), where a
    # stack of them starts too (a first version cropped the cells away: an empty truth, ~5 dB for every method)
    z0 = 0 if kind == "cells" else k.shape[0] // 2
    zs, ys, xs = (slice(z0 if i == 0 else k.shape[i] // 2, (z0 if i == 0 else k.shape[i] // 2) + n)
                  for i, n in enumerate((d, h, w)))
    truth = read(gt_big)[zs, ys, xs]
    clean = read(blurred_big)[zs, ys, xs]
    scale = photons / np.percentile(clean, 99.9)
    rng = np.random.default_rng(seed)
    noisy = rng.poisson(np.clip(clean * scale, 0, None)) + rng.normal(0, read_noise, clean.shape)
    files = {}
    files["float"] = os.path.join(tmp, name + "_float.tif")
    write_stack(files["float"], noisy, voxel, np.float32)
    files["uint16"] = os.path.join(tmp, name + "_u16.tif")
    write_stack(files["uint16"], np.clip(np.round(noisy + OFFSET), 0, 65535), voxel, np.uint16)
    return truth, noisy, scale, psf, k, files


def quality(jar, tmp, set_name, methods, kinds=("float", "uint16"), only=None, extra=()):
    rows = []
    for case in SETS[set_name]:
        name = case[0]
        if only and name not in only:
            continue
        truth, noisy, scale, psf, k, files = make_case(jar, tmp, case)
        files = {kd: f for kd, f in files.items() if kd in kinds}
        row = {"case": name, "field": "x".join(map(str, case[2])), "voxel_um": case[3], "photons": case[5]}
        peer_file = os.path.join(tmp, name + "_peer.json")
        if os.path.exists(peer_file):
            sk = {key: tuple(v) for key, v in json.load(open(peer_file)).items()}
        else:
            sk = {}
            for pad in (False, True):
                best, it, _ = skimage_rl_trace(noisy, k, SK_ITERATIONS, truth * scale, pad)
                sk["mirror" if pad else "zero"] = (best, it)
            json.dump(sk, open(peer_file, "w"))
        row["skimage_rl_zero"] = sk["zero"]
        row["skimage_rl_mirror"] = sk["mirror"]
        peer = max(sk["zero"][0], sk["mirror"][0])
        row["peer"] = peer
        for kind, path in files.items():
            off = OFFSET if kind == "uint16" else 0.0
            for m in methods:
                out = os.path.join(tmp, f"{name}_{kind}_{m}.tif")
                rep = out.replace(".tif", ".json")
                t0 = time.time()
                cli(jar, "reconstruct", "deblur", "--input", path, "--psf", psf, "--method", m, "--output", out, "--report", rep,
                    *extra)
                wall = time.time() - t0
                est = (read(out) - off) / scale
                r = json.load(open(rep))
                p = psnr(truth, est)
                row[f"{m}_{kind}"] = p
                row[f"{m}_{kind}_gain"] = p - peer
                row[f"{m}_{kind}_iterations"] = r["planes"][0]["iterations"]
                row[f"{m}_{kind}_seconds"] = round(wall, 1)
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def speed(jar, tmp):
    rows = []
    psf = os.path.join(tmp, "speed_psf.tif")
    cli(jar, "psf", "bornwolf", "--na", "1.4", "--wavelength", "520", "--pixel-size", 100, "--z-step", 200,
        "--slices", 33, "--size", 33, "--output", psf)
    k = read(psf).astype(np.float32)
    for (w, h, d) in [(256, 256, 64), (512, 512, 64)]:
        rng = np.random.default_rng(1)
        y = rng.poisson(50 * rng.random((d, h, w))).astype(np.float32)
        path = os.path.join(tmp, f"speed_{w}.tif")
        write_stack(path, y, (0.1, 0.2), np.float32)
        out, rep = path.replace(".tif", "_rl.tif"), path.replace(".tif", "_rl.json")
        cli(jar, "reconstruct", "deblur", "--input", path, "--psf", psf, "--method", "rl", "--iterations", 20,
            "--output", out, "--report", rep)
        r = json.load(open(rep))
        ours = r["planes"][0]["seconds"] / r["planes"][0]["iterations"]
        t0 = time.perf_counter()
        skdeconv.richardson_lucy(y, k, num_iter=5, clip=False)
        theirs = (time.perf_counter() - t0) / 5
        row = {"volume": f"{d}x{h}x{w}", "psf": "x".join(map(str, k.shape)), "ours_s_per_iter": round(ours, 3),
               "skimage_s_per_iter": round(theirs, 3), "speedup": round(theirs / ours, 2),
               "ours_peak_rss_mib": r.get("peakRssMiB"), "fft_grid": r["planes"][0]["operator"]["fftGrid"]}
        rows.append(row)
        print(json.dumps(row), flush=True)
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="holdout", choices=sorted(SETS))
    ap.add_argument("--quality", action="store_true")
    ap.add_argument("--speed", action="store_true")
    ap.add_argument("--methods", default="rl,deq")
    ap.add_argument("--out", default=None, help="write results.json here")
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "equilibria.jar"),
                    help="the CLI jar (copy it inside target/ to keep rebuilding while a benchmark runs)")
    ap.add_argument("--cases", default=None, help="make the cases in this directory once and reuse them")
    ap.add_argument("--only", default=None, help="comma-separated case names")
    ap.add_argument("--kinds", default="float,uint16", help="float, uint16 or both")
    ap.add_argument("--args", default="", help="more options for every reconstruct call (not the defaults then)")
    a = ap.parse_args()
    if not (a.quality or a.speed):
        a.quality = a.speed = True
    result = {"set": a.set}
    kinds = a.kinds.split(",")
    with tempfile.TemporaryDirectory() as scratch:
        tmp = a.cases or scratch
        os.makedirs(tmp, exist_ok=True)
        if a.quality:
            rows = quality(a.jar, tmp, a.set, a.methods.split(","), kinds, a.only and a.only.split(","), a.args.split())
            result["quality"] = rows
            for m in a.methods.split(","):
                for kind in kinds:
                    gains = [r[f"{m}_{kind}_gain"] for r in rows]
                    print(f"{m} {kind}: gain over the best oracle scikit-image RL: mean {np.mean(gains):+.2f} dB, "
                          f"worst {min(gains):+.2f} dB")
        if a.speed:
            result["speed"] = speed(a.jar, tmp)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "bench_3d.json"), "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
