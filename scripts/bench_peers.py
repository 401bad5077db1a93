#!/usr/bin/python3
"""Benchmark: what a user gets from the Equilibria CLI, against the tools a user would pick instead.

What it measures
----------------
For two validation sets of 256x256 grayscale images in [0, 1] ("tune" and "holdout"), each image degraded in
three scenarios (below), it runs the CLI exactly as a user would -- on files, default options, no tuning:

    java -jar target/equilibria.jar reconstruct deblur --input DIR --psf psf.tif --method M --output OUT --report r.json

for M = deq (the shipped default model, or --model), rl, rltv, tv and wiener, one JVM per method and PSF (directory
input), and compares against scikit-image 0.19.3 with **oracle** parameters chosen with the ground truth:

* ``skimage.restoration.richardson_lucy`` (clip=False), best iteration count in 1..200 by PSNR. Its boundary is
  zero padding (``scipy.signal.convolve(mode='same')``), its start a flat 0.5 image, and it does not divide by
  A^T 1. The per-iteration PSNR comes from a replica of its loop (same calls, same order); the winning count is
  then re-run through ``richardson_lucy`` itself and the two PSNRs are checked to agree to 1e-6 dB.
* ``skimage.restoration.wiener`` with its default Laplacian regulariser, ``balance`` best of 19 values on a log
  grid 1e-4..100 (its boundary: periodic, the FFT wraps around); clip left at its default (True, to [-1, 1]).
* ``skimage.restoration.unsupervised_wiener`` (no parameter; Gibbs sampler seeded with 0).

The peers see the same observation in [0, 1] units (for a 16-bit camera file: (y - offset) / (gain * photons),
as a user of scikit-image would convert it). Scores: PSNR and SSIM (``skimage.metrics``, data range 1, SSIM with
Gaussian weights sigma 1.5 as in Wang et al. 2004) of the raw outputs (nothing clipped by this script) against the
[0, 1] ground truth. The CLI writes its output in the input's intensity units: for a camera file the output is in
ADU including the offset, and this script compares (x - offset) / (gain * photons) with the ground truth.

It also prints
* per set: DEQ - max(oracle skimage RL, oracle skimage Wiener): mean, worst and number of images >= 0, for float
  inputs and 16-bit camera inputs separately;
* the RL-match table at N = scikit-image's oracle N and the CLI default 30 (target: within 0.2 dB), two ways:
  as users run them (``--method rl --iterations N`` with CLI defaults, extended boundary and percentile
  normalisation, on the user's file, vs ``richardson_lucy(y, psf, num_iter=N, clip=False)``), and with the same
  model (``--boundary zero --normalize none`` on the [0, 1]-unit float file vs ``richardson_lucy`` on the same
  data clipped at 0, as the CLI's RL does), which leaves only the CLI's division by A^T 1 (also scored without a
  32 px border); the starts differ (flat 0.5 vs flat at the data's mean) but RL's iterates from a flat start do not
  depend on its level;
* compressed sensing (unless --skip-cs): ``simulate cs`` (ratios 0.1, 0.25, 0.5; ``--operator gaussian`` and
  ``hadamard``; noise-free and ``--noise-sigma 0.01``; seed 1) then ``reconstruct cs --method deq`` (defaults)
  against the CLI's own FISTA-TV (``--method tv``) with ``--lambda`` on a log grid (factor sqrt(10), starting at
  1e-4, 3.2e-4, 1e-3 without noise and 1e-3, 3.2e-3, 1e-2 with
  noise, extended while the best value is at an end), best by PSNR; DEQ - best TV;
* seconds per CLI call (JVM start-up included, per image) and the solver seconds the CLI reports per image.

Images (all 256x256; luminance Y = 0.2125 R + 0.7154 G + 0.0721 B for RGB, skimage.color.rgb2gray; every real crop
rescaled linearly to min 0 / max 1; sources checked against every file under /work/shared/data/train/, see
--check-leakage)

  set      name               modality                                   source file
  tune     qpi_cell           real micrograph: quantitative phase        skimage/data/cell.png rows 256:512, cols 294:550
  tune     ihc_glands         real micrograph: bright-field IHC (RGB)    skimage/data/ihc.png rows 0:256, cols 0:256
  tune     photo_dog          photograph                                 opencv-doc examples/data/chicky_512.png rows 128:384, cols 128:384
  tune     photo_blocks       photograph (JPEG)                          opencv-doc examples/data/blox.jpg (256x256, whole)
  tune     photo_shapes       photograph (JPEG)                          opencv-doc examples/data/pca_test1.jpg rows 172:428, cols 272:528
  tune     ph_filaments       phantom: fluorescence cytoskeleton         generated, seed 101
  tune     ph_beads           phantom: sub-resolution beads and pairs    generated, seed 102
  tune     ph_cells           phantom: cells with nuclei, mitochondria   generated, seed 103
  tune     ph_membranes       phantom: epithelial membrane stain         generated, seed 104
  holdout  fluo_podosomes     real micrograph: widefield fluorescence    threeb-imagej three_B.jar:test_data.tif (300 frames, 60x60, mean, bicubic x4.27)
  holdout  qpi_background     real micrograph: quantitative phase        skimage/data/cell.png rows 0:256, cols 150:406
  holdout  ihc_stroma         real micrograph: bright-field IHC (RGB)    skimage/data/ihc.png rows 256:512, cols 256:512
  holdout  photo_sudoku       photograph                                 opencv-doc examples/data/sudoku.png rows 150:406, cols 150:406
  holdout  photo_chessboard   photograph (JPEG)                          opencv-doc examples/data/left01.jpg rows 100:356, cols 200:456
  holdout  fundus             medical photograph: retinal fundus (gray)  skimage/data/microaneurysms.png (102x102, bicubic x2.51)
  holdout  ph_filaments       phantom (as above)                         generated, seed 201
  holdout  ph_beads           phantom                                    generated, seed 202
  holdout  ph_cells           phantom                                    generated, seed 203
  holdout  ph_membranes       phantom                                    generated, seed 204

Not in either set: everything in training (skimage camera = pywt_camera, astronaut, coins, retina, rocket, text,
...), skimage motorcycle_right (the stereo partner of the training motorcycle_left) and opencv's second views of
training scenes (aloeR, basketball2, rubberwhale2, graf3, leuvenB, box, ela_modified). The two sets share no
image: the two crops of cell.png and of ihc.png are disjoint regions. No real fluorescence micrograph of a cell
larger than the 60x60 3B test stack was found in Debian (none in skimage-doc, ITK examples, HyperSpy (EM only),
opencv-doc, matplotlib), so the tune set has no real fluorescence image and the holdout's one is upsampled;
phase and bright-field each come from one source file (two disjoint crops). The holdout set was never looked at
while choosing defaults: its results are printed separately and marked.

Degradations (each image gets all three; parameters cycle over the images so the ranges are covered; seed 20240)
  gauss    Gaussian PSF sigma 1.5 / 2 / 3 px (``equilibria psf gaussian``), Gaussian noise sigma 0.005 / 0.01 /
           0.02 / 0.03 (in units of the [0, 1] image); float32 TIFF
  airy     Airy PSF NA 1.2 (106 nm px) / 1.3 (85 nm) / 1.4 (65 nm), 520 nm (``equilibria psf airy``; first dark
           ring 2.5 / 2.9 / 3.5 px); Poisson noise at 100 / 300 / 1000 photons at intensity 1, plus Gaussian read
           noise sigma 0.005; float32 TIFF in [0, 1] units
  camera   a 16-bit camera file: one of the six PSFs above, photons P = 300 / 600 / 1000 at intensity 1, read noise
           2 e- RMS, gain 3000/P ADU per e- (peak ~3000 ADU), offset 100 ADU: y = round(100 + g (Poisson(P b) +
           N(0, 2^2))), clipped to 0..65535, uint16 TIFF
  Blur: the ground truth is mirror-padded by 48 px (numpy 'symmetric', i.e. the scene beyond the field of view is
  the mirror image of the field), convolved with ``scipy.signal.fftconvolve(mode='same')`` and cropped back to
  256x256, so nothing wraps around. The same PSF TIFF (written by the CLI) is used by the simulation, the CLI and
  the peers.

How to run (from the repository root; target/equilibria.jar must exist, python3-skimage, opencv-doc and
threeb-imagej must be installed: ``apt-get install python3-skimage opencv-doc threeb-imagej``)

    /usr/bin/python3 scripts/bench_peers.py [--out results/peers] [--sets tune,holdout] [--quick] [--skip-cs | --cs-only]
                                            [--model NAME] [--cs-model NAME] [--cs-images N|NAME,..]
                                            [--jar target/equilibria.jar] [--check-leakage]

``--quick`` takes 2 images per set (the first real micrograph and the first phantom) and, for CS, one image per
set at ratio 0.25 with noise 0.01 only (a smoke test: ~8 min). ``--cs-images N`` sets how many images per set
(taken in the order above) the full CS part uses (default 1: qpi_cell and fluo_podosomes), or names them.
``--cs-only`` runs only the CS comparison; ``--cs-model`` gives the CS runs a model. A full run with
--check-leakage took 30 min on this 2-core machine with the other core busy training. Every java call runs with -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1
and OMP_NUM_THREADS=1. Outputs under --out: rows.csv (every score), summary.json, tables.md (what was printed),
work/ (the images, PSFs, CLI outputs and reports, and the jar snapshot the run used; wiped at the start of each
run). This is a benchmark: no test uses it.
"""
import os

for _v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import argparse
import csv
import glob
import hashlib
import io
import json
import math
import shutil
import subprocess
import time
import zipfile

import numpy as np
import scipy.ndimage as ndi
import skimage
import skimage.io
import tifffile
from scipy.signal import convolve, fftconvolve
from skimage import color, draw, transform
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.restoration import richardson_lucy, unsupervised_wiener, wiener

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SK = "/usr/lib/python3/dist-packages/skimage/data/"
CV = "/usr/share/doc/opencv-doc/examples/data/"
THREEB = "/usr/share/imagej/plugins/three_B.jar"
TRAIN = "/work/shared/data/train"
SIZE = 256
PAD = 48  # mirror padding for the simulated blur (>= the largest PSF radius, 21 px)
SEED = 20240
JAVA_OPTS = ["-Dai.djl.offline=true", "-Dai.djl.pytorch.num_threads=1"]
METHODS = ["deq", "rl", "rltv", "tv", "wiener"]
OFFSET, PEAK_ADU, READ_E = 100.0, 3000.0, 2.0
WIENER_BALANCES = np.logspace(-4, 2, 19)  # factor ~2.15
RL_MAX = 200
CS_RATIOS = [0.1, 0.25, 0.5]
CS_OPERATORS = ["gaussian", "hadamard"]
CS_NOISES = [0.0, 0.01]
CS_LAMBDA_START = {0.0: [1e-4, 10 ** -3.5, 1e-3], 0.01: [1e-3, 10 ** -2.5, 1e-2]}  # by noise sigma


# ----------------------------------------------------------------------------------------------- images

def to_gray(a):
    """uint8/uint16 or float image (gray, RGB or RGBA) -> float64 luminance."""
    a = np.asarray(a)
    scale = 255.0 if a.dtype == np.uint8 else (65535.0 if a.dtype == np.uint16 else 1.0)
    a = a.astype(np.float64) / scale
    if a.ndim == 3:
        a = color.rgb2gray(a[..., :3])
    return a


def unit(a):
    a = a.astype(np.float64)
    return (a - a.min()) / (a.max() - a.min())


def crop(a, r, c):
    return a[r:r + SIZE, c:c + SIZE]


def threeb_mean():
    with zipfile.ZipFile(THREEB) as z:
        stack = tifffile.imread(io.BytesIO(z.read("test_data.tif"))).astype(np.float64)
    return stack.mean(axis=0)  # 60x60, camera counts with an offset ~6500


def upsample(a):
    return transform.resize(a, (SIZE, SIZE), order=3, mode="reflect", anti_aliasing=False)


def fluo_podosomes():
    m = threeb_mean()
    m = np.clip(m - np.percentile(m, 1), 0, None)  # background (camera offset + autofluorescence) to 0
    return unit(np.clip(upsample(m / m.max()), 0, None))


# Each real image: (name, modality, source description, source file (for the leakage checks), loader returning
# the raw array at source resolution, function turning that array into the 256x256 float ground truth).
def real_images():
    def sk(f):
        return lambda: skimage.io.imread(SK + f)

    def cv(f):
        return lambda: skimage.io.imread(CV + f)

    return {
        "tune": [
            ("qpi_cell", "real micrograph: quantitative phase", "skimage/data/cell.png [256:512, 294:550]",
             SK + "cell.png", sk("cell.png"), lambda a: unit(crop(to_gray(a), 256, 294))),
            ("ihc_glands", "real micrograph: bright-field IHC", "skimage/data/ihc.png [0:256, 0:256], luminance",
             SK + "ihc.png", sk("ihc.png"), lambda a: unit(crop(to_gray(a), 0, 0))),
            ("photo_dog", "photograph", "opencv-doc data/chicky_512.png [128:384, 128:384], luminance",
             CV + "chicky_512.png", cv("chicky_512.png"), lambda a: unit(crop(to_gray(a), 128, 128))),
            ("photo_blocks", "photograph", "opencv-doc data/blox.jpg (whole), luminance",
             CV + "blox.jpg", cv("blox.jpg"), lambda a: unit(crop(to_gray(a), 0, 0))),
            ("photo_shapes", "photograph", "opencv-doc data/pca_test1.jpg [172:428, 272:528], luminance",
             CV + "pca_test1.jpg", cv("pca_test1.jpg"), lambda a: unit(crop(to_gray(a), 172, 272))),
        ],
        "holdout": [
            ("fluo_podosomes", "real micrograph: widefield fluorescence",
             "threeb-imagej three_B.jar:test_data.tif, mean of 300 frames (60x60), bicubic to 256",
             THREEB, threeb_mean, lambda a: fluo_podosomes()),
            ("qpi_background", "real micrograph: quantitative phase", "skimage/data/cell.png [0:256, 150:406]",
             SK + "cell.png", sk("cell.png"), lambda a: unit(crop(to_gray(a), 0, 150))),
            ("ihc_stroma", "real micrograph: bright-field IHC", "skimage/data/ihc.png [256:512, 256:512], luminance",
             SK + "ihc.png", sk("ihc.png"), lambda a: unit(crop(to_gray(a), 256, 256))),
            ("photo_sudoku", "photograph", "opencv-doc data/sudoku.png [150:406, 150:406], luminance",
             CV + "sudoku.png", cv("sudoku.png"), lambda a: unit(crop(to_gray(a), 150, 150))),
            ("photo_chessboard", "photograph", "opencv-doc data/left01.jpg [100:356, 200:456], luminance",
             CV + "left01.jpg", cv("left01.jpg"), lambda a: unit(crop(to_gray(a), 100, 200))),
            ("fundus", "medical photograph: retinal fundus",
             "skimage/data/microaneurysms.png (102x102), bicubic to 256",
             SK + "microaneurysms.png", sk("microaneurysms.png"), lambda a: unit(upsample(to_gray(a)))),
        ],
    }


# ----------------------------------------------------------------------------------------------- phantoms
# Fluorescence-like scenes on a dark background, peak 1. Drawn at 2x and block-averaged (pixel integration).

def _splat(img, ys, xs, w):
    """Bilinear splat of points (sub-pixel) with weights w into img."""
    h, wd = img.shape
    y0, x0 = np.floor(ys).astype(int), np.floor(xs).astype(int)
    fy, fx = ys - y0, xs - x0
    for dy, dx, ww in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx), (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
        yy, xx = y0 + dy, x0 + dx
        ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < wd)
        np.add.at(img, (yy[ok], xx[ok]), (w * ww)[ok])


def _worm(rng, y, x, theta, steps, step, curl):
    """A persistent random walk: a fibre's centre line."""
    th = theta + np.cumsum(rng.normal(0, curl, steps))
    ys = y + np.cumsum(step * np.sin(th))
    xs = x + np.cumsum(step * np.cos(th))
    return ys, xs


def _finish(img, background):
    img = img.reshape(SIZE, 2, SIZE, 2).mean(axis=(1, 3))
    img = img + background
    return img / img.max()


def _haze(rng, n, sigma, amp):
    return amp * unit(ndi.gaussian_filter(rng.random((n, n)), sigma))


def phantom_filaments(rng):
    n = 2 * SIZE
    img = np.zeros((n, n))
    for _ in range(rng.integers(28, 40)):  # single fibres, some in parallel bundles 2-6 px apart
        y, x = rng.uniform(-40, n + 40, 2)
        ys, xs = _worm(rng, y, x, rng.uniform(0, 2 * np.pi), int(rng.integers(300, 1100)), 0.5, 0.02)
        a = rng.uniform(0.25, 1.0)
        copies = 1 if rng.random() < 0.7 else int(rng.integers(2, 4))
        nx, ny = -np.sin(np.arctan2(np.gradient(ys), np.gradient(xs))), np.cos(np.arctan2(np.gradient(ys), np.gradient(xs)))
        gap = rng.uniform(4, 12)  # at 2x: 2-6 px in the image
        for k in range(copies):
            _splat(img, ys + k * gap * ny, xs + k * gap * nx, np.full(ys.shape, a * rng.uniform(0.7, 1.0)))
    img = ndi.gaussian_filter(img, 1.4)  # fibre width ~0.7 px sigma in the image
    return _finish(img / img.max() * 1.2, _haze(rng, SIZE, 25, 0.04) + 0.01)


def phantom_beads(rng):
    n = 2 * SIZE
    img = np.zeros((n, n))
    k = int(rng.integers(120, 180))
    ys, xs = rng.uniform(0, n, k), rng.uniform(0, n, k)
    w = rng.uniform(0.3, 1.0, k)
    _splat(img, ys, xs, w)
    # pairs at 1.5-5 px (resolution test) and small clusters
    for _ in range(25):
        y, x = rng.uniform(10, n - 10, 2)
        d, th = rng.uniform(3, 10), rng.uniform(0, np.pi)
        _splat(img, np.array([y, y + d * np.sin(th)]), np.array([x, x + d * np.cos(th)]), rng.uniform(0.5, 1.0, 2))
    for _ in range(6):
        y, x = rng.uniform(20, n - 20, 2)
        m = int(rng.integers(4, 9))
        _splat(img, y + rng.normal(0, 5, m), x + rng.normal(0, 5, m), rng.uniform(0.3, 0.8, m))
    img = ndi.gaussian_filter(img, 1.2) * (2 * np.pi * 1.2 ** 2)  # 100 nm beads: sub-resolution, weight = peak
    big = np.zeros((n, n))
    for _ in range(8):  # a few large beads (~0.5-1 um): flat discs with soft edges
        rr, cc = draw.disk(tuple(rng.uniform(20, n - 20, 2)), rng.uniform(6, 14), shape=(n, n))
        big[rr, cc] = rng.uniform(0.3, 0.6)
    img = img + ndi.gaussian_filter(big, 1.5)
    return _finish(img, 0.01 + _haze(rng, SIZE, 30, 0.02))


def _blob_mask(rng, n, cy, cx, r0, amp=0.12, kmax=5):
    yy, xx = np.mgrid[0:n, 0:n]
    phi = np.arctan2(yy - cy, xx - cx)
    r = np.full(phi.shape, r0)
    for k in range(2, kmax + 1):
        r = r * (1 + amp / k * rng.normal() * np.cos(k * phi + rng.uniform(0, 2 * np.pi)))
    return np.hypot(yy - cy, xx - cx) < r


def phantom_cells(rng):
    n = 2 * SIZE
    img = np.zeros((n, n))
    tex = lambda s: unit(ndi.gaussian_filter(rng.random((n, n)), s))
    for _ in range(int(rng.integers(5, 8))):
        cy, cx = rng.uniform(40, n - 40, 2)
        r0 = rng.uniform(50, 95)
        cell = _blob_mask(rng, n, cy, cx, r0, 0.35, 6)
        cyto = ndi.gaussian_filter(cell.astype(float), 3) * rng.uniform(0.12, 0.25) * (0.6 + 0.8 * tex(3))
        # mitochondria: short worms inside the cytoplasm
        mito = np.zeros((n, n))
        for _ in range(int(rng.integers(25, 50))):
            y, x = cy + rng.normal(0, r0 / 2), cx + rng.normal(0, r0 / 2)
            ys, xs = _worm(rng, y, x, rng.uniform(0, 2 * np.pi), int(rng.integers(10, 40)), 0.5, 0.15)
            _splat(mito, ys, xs, np.full(ys.shape, rng.uniform(0.5, 1.0)))
        mito = ndi.gaussian_filter(mito, 1.5) * cell
        mito = 0.5 * mito / max(mito.max(), 1e-9)
        # nucleus with chromatin texture and dark nucleoli
        ny, nx = cy + rng.normal(0, r0 / 8), cx + rng.normal(0, r0 / 8)
        nuc = _blob_mask(rng, n, ny, nx, r0 * rng.uniform(0.35, 0.5), 0.15, 3) & cell
        chrom = 0.55 + 0.45 * tex(1.5)
        for _ in range(int(rng.integers(1, 4))):
            rr, cc = draw.disk((ny + rng.normal(0, 6), nx + rng.normal(0, 6)), rng.uniform(3, 7), shape=(n, n))
            chrom[rr, cc] *= 0.35
        nucleus = ndi.gaussian_filter(nuc.astype(float), 1.5) * chrom * rng.uniform(0.6, 0.9)
        img = np.maximum(img, cyto + mito * (1 - nuc) + nucleus)
    return _finish(img, 0.01)


def phantom_membranes(rng):
    n = 2 * SIZE
    k = int(rng.integers(30, 45))
    seeds = []
    while len(seeds) < k:  # no two cells closer than 40 px (20 px in the image)
        p = rng.uniform(-30, n + 30, 2)
        if all(np.hypot(*(p - q)) > 40 for q in seeds):
            seeds.append(p)
    seeds = np.array(seeds)
    yy, xx = np.mgrid[0:n, 0:n].astype(float)
    # wiggle: smooth displacement field so the cell edges are not straight
    wy = ndi.gaussian_filter(rng.normal(0, 1, (n, n)), 18)
    wx = ndi.gaussian_filter(rng.normal(0, 1, (n, n)), 18)
    wy, wx = 10 * wy / np.abs(wy).max(), 10 * wx / np.abs(wx).max()
    py, px = yy + wy, xx + wx
    d = np.sqrt((py[..., None] - seeds[:, 0]) ** 2 + (px[..., None] - seeds[:, 1]) ** 2)
    part = np.partition(d, 1, axis=2)
    lab = np.argmin(d, axis=2)
    edge = (part[..., 1] - part[..., 0]) / 2  # distance to the boundary between the two nearest cells
    bright = rng.uniform(0.4, 1.0, k)
    second = np.argsort(d, axis=2)[..., 1]
    a = np.sqrt(bright[lab] * bright[second])
    mem = a * np.exp(-edge ** 2 / (2 * 1.6 ** 2))  # membrane ~0.8 px sigma in the image
    # puncta along the membranes, dim interiors, a cell-free gap
    pts = np.zeros((n, n))
    near = np.argwhere(edge < 1.5)
    sel = near[rng.choice(len(near), 300, replace=False)]
    _splat(pts, sel[:, 0].astype(float), sel[:, 1].astype(float), rng.lognormal(0, 0.4, 300))
    pts = ndi.gaussian_filter(pts, 1.3)
    mem = mem + 0.6 * pts / pts.max() + 0.05 * rng.uniform(0.3, 1.0, k)[lab]
    gy, gx = rng.uniform(n * 0.2, n * 0.8, 2)
    gap = np.hypot(yy - gy, xx - gx) < rng.uniform(50, 90)
    mem[gap] = 0
    mem = ndi.gaussian_filter(mem, 0.5)
    return _finish(mem, 0.01)


PHANTOMS = [
    ("ph_filaments", "phantom: fluorescence cytoskeleton (fibres, bundles)", phantom_filaments),
    ("ph_beads", "phantom: sub-resolution beads, pairs, clusters, large beads", phantom_beads),
    ("ph_cells", "phantom: cells with textured nuclei, nucleoli, mitochondria", phantom_cells),
    ("ph_membranes", "phantom: epithelial membrane stain with puncta and a gap", phantom_membranes),
]
PHANTOM_SEEDS = {"tune": 101, "holdout": 201}


def build_sets(sets, quick):
    """{set: [dict(name, modality, source, gt, kind)]}"""
    out = {}
    reals = real_images()
    for s in sets:
        items = []
        for name, modality, source, path, load, make in reals[s]:
            items.append(dict(name=name, modality=modality, source=source, path=path,
                              gt=make(load()).astype(np.float64), kind="real"))
        for i, (name, modality, fn) in enumerate(PHANTOMS):
            seed = PHANTOM_SEEDS[s] + i
            gt = fn(np.random.default_rng(seed))
            items.append(dict(name=name, modality=modality, source=f"generated ({fn.__name__}, seed {seed})",
                              path=None, gt=gt, kind="phantom"))
        if quick:  # one real micrograph and one phantom
            items = [items[0], next(it for it in items if it["kind"] == "phantom")]
        for it in items:
            assert it["gt"].shape == (SIZE, SIZE) and it["gt"].min() >= 0 and abs(it["gt"].max() - 1) < 1e-9, it["name"]
        out[s] = items
    return out


# ----------------------------------------------------------------------------------------------- leakage

def train_files():
    return sorted(f for f in glob.glob(os.path.join(TRAIN, "**", "*"), recursive=True)
                  if f.lower().endswith((".png", ".tif", ".tiff", ".jpg")))


def pixel_hash(a):
    a = np.ascontiguousarray(np.asarray(a))
    return hashlib.sha256(a.tobytes() + str(a.shape).encode()).hexdigest()


def exact_leak_check(sets):
    """Cheap: no source file decodes to the same pixels (gray or raw) as a training file."""
    train = {}
    for f in train_files():
        a = tifffile.imread(f) if f.endswith((".tif", ".tiff")) else skimage.io.imread(f)
        train[pixel_hash(a)] = f
        if a.ndim == 2:
            train[pixel_hash((a.astype(np.float64) / (255.0 if a.dtype == np.uint8 else 1.0)))] = f
    hits = []
    for s, items in sets.items():
        for it in items:
            if it["path"] is None or it["path"] == THREEB:
                continue
            raw = skimage.io.imread(it["path"])
            for h in (pixel_hash(raw), pixel_hash(to_gray(raw)),
                      pixel_hash(np.round(to_gray(raw) * 255).astype(np.uint8))):
                if h in train:
                    hits.append((s, it["name"], train[h]))
    return hits


def template_leak_check(sets, log):
    """Slow (--check-leakage, ~2 min): best normalised cross-correlation of each real ground truth's central 128x128
    patch (rescaled by 1, 1/2 and 2) against every training image at its own size. A crop of a training image
    scores >= 0.997 (tested: skimage retina.jpg against the training skimage_retina.png, also at half size);
    unrelated smooth patches reach ~0.93, so > 0.98 counts as a copy."""
    from skimage.feature import match_template
    tr = []
    for f in train_files():
        a = tifffile.imread(f) if f.endswith((".tif", ".tiff")) else skimage.io.imread(f)
        if a.ndim == 3 and a.shape[0] <= 8:  # a TIFF stack: use its first plane
            a = a[0]
        tr.append((f, to_gray(a) if a.dtype == np.uint8 else unit(a)))
    worst = []
    for s, items in sets.items():
        for it in items:
            if it["kind"] != "real":
                continue
            best = (-1.0, "", 0)
            for sc in (1.0, 0.5, 2.0):
                g = transform.rescale(it["gt"], sc, order=1, anti_aliasing=sc < 1) if sc != 1 else it["gt"]
                c = g.shape[0] // 2
                patch = g[c - 64:c + 64, c - 64:c + 64] if g.shape[0] >= 128 else g
                for f, a in tr:
                    if a.shape[0] < patch.shape[0] or a.shape[1] < patch.shape[1]:
                        continue
                    v = float(match_template(a, patch).max())
                    if v > best[0]:
                        best = (v, os.path.relpath(f, TRAIN), sc)
            worst.append((s, it["name"], best))
            log(f"  {s}/{it['name']}: best NCC {best[0]:.3f} with {best[1]} (patch scaled x{best[2]:g})"
                f"{'  <-- COPY?' if best[0] > 0.98 else ''}")
    return [w for w in worst if w[2][0] > 0.98]


# ----------------------------------------------------------------------------------------------- CLI

class Cli:
    """Runs the CLI from a private snapshot of the jar (copied at start, its lib/ hard-linked), so that a rebuild
    of target/ during the run cannot change or break it; the working directory is the repository root, so
    ./models is where models are found by name."""

    def __init__(self, jar, work, log):
        self.log = log
        self.calls = []  # (label, seconds, images)
        self._wait_for_jar(jar)
        snap = os.path.join(work, "jar")
        os.makedirs(os.path.join(snap, "lib"))
        shutil.copy2(jar, os.path.join(snap, "equilibria.jar"))
        for f in os.listdir(os.path.join(os.path.dirname(jar), "lib")):
            src = os.path.join(os.path.dirname(jar), "lib", f)
            try:
                os.link(src, os.path.join(snap, "lib", f))
            except OSError:
                shutil.copy2(src, os.path.join(snap, "lib", f))
        self.jar = os.path.join(snap, "equilibria.jar")
        with open(self.jar, "rb") as f:
            self.jar_sha = hashlib.sha256(f.read()).hexdigest()[:16]

    def _wait_for_jar(self, jar):
        for _ in range(60):
            if os.path.exists(jar) and os.path.isdir(os.path.join(os.path.dirname(jar), "lib")):
                s1 = os.path.getsize(jar)
                time.sleep(2)
                if os.path.exists(jar) and os.path.getsize(jar) == s1 and s1 > 0:
                    try:
                        with zipfile.ZipFile(jar) as z:
                            if z.testzip() is None:
                                return
                    except (zipfile.BadZipFile, OSError):
                        pass
            self.log(f"  (waiting for {jar}: missing or being rebuilt)")
            time.sleep(10)
        raise SystemExit(f"{jar} did not appear")

    def run(self, args, label=None, images=1, ok_codes=(0,)):
        env = dict(os.environ, OMP_NUM_THREADS="1")
        t0 = time.time()
        p = subprocess.run(["java", *JAVA_OPTS, "-jar", self.jar, *args], env=env, cwd=ROOT,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        dt = time.time() - t0
        if label:
            self.calls.append((label, dt, images))
        if p.returncode == 7:
            self.log(f"  some images failed ({' '.join(args[:2])} {' '.join(args[-3:])}): see the report")
        elif p.returncode not in ok_codes:
            raise RuntimeError(f"java {' '.join(args)} exited {p.returncode}: {p.stderr.strip()[-2000:]}")
        return p


def read_report(path):
    """A batch JSON report -> {image id: row (status, iterations, seconds, report)}."""
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        rep = json.load(f)
    return {os.path.splitext(r["relative"])[0]: r for r in rep.get("images", [])}


def model_sha(row):
    try:
        return row["report"]["planes"][0]["parameters"].get("modelSha256", "")[:16]
    except (KeyError, IndexError, TypeError):
        return ""


def read_tif(path):
    return tifffile.imread(path).astype(np.float64)


# ----------------------------------------------------------------------------------------------- degradations

GAUSS_SIGMAS = [1.5, 2.0, 3.0]
GAUSS_NOISE = [0.005, 0.01, 0.02, 0.03]
AIRY = [(1.2, 520, 106), (1.3, 520, 85), (1.4, 520, 65)]
AIRY_PHOTONS = [100, 300, 1000]
AIRY_READ = 0.005
CAMERA_PHOTONS = [300, 600, 1000]


def psf_specs():
    specs = {f"gauss{s:g}": ["gaussian", "--sigma", f"{s:g}"] for s in GAUSS_SIGMAS}
    for na, lam, px in AIRY:
        specs[f"airy{na:g}"] = ["airy", "--na", f"{na:g}", "--wavelength", str(lam), "--pixel-size", str(px)]
    return specs


def blur(gt, psf):
    """Mirror-padded scene, linear convolution, centre kept: nothing wraps around."""
    big = np.pad(gt, PAD, mode="symmetric")
    return fftconvolve(big, psf, mode="same")[PAD:-PAD, PAD:-PAD]


def scenarios(idx, gidx):
    """The three scenarios of image idx (position in its set); gidx = global image counter for cycling."""
    psfs = list(psf_specs())
    return [
        dict(kind="gauss", psf=f"gauss{GAUSS_SIGMAS[gidx % 3]:g}", noise=GAUSS_NOISE[gidx % 4], photons=None,
             camera=False),
        dict(kind="airy", psf=f"airy{AIRY[(gidx + 1) % 3][0]:g}", noise=AIRY_READ, photons=AIRY_PHOTONS[(gidx + 2) % 3],
             camera=False),
        dict(kind="camera", psf=psfs[(gidx * 5 + 2) % 6], noise=None, photons=CAMERA_PHOTONS[gidx % 3], camera=True),
    ]


def describe(sc):
    if sc["kind"] == "gauss":
        return f"{sc['psf']}, gauss {sc['noise']:g}"
    if sc["kind"] == "airy":
        return f"{sc['psf']}, poisson {sc['photons']} + gauss {sc['noise']:g}"
    return f"{sc['psf']}, 16-bit cam P={sc['photons']}"


def degrade(gt, psf, sc, rng):
    """Returns (file array to write, observation in [0, 1] units, (offset, scale) to bring CLI output to [0, 1])."""
    b = blur(gt, psf)
    if sc["kind"] == "gauss":
        y = b + rng.normal(0, sc["noise"], b.shape)
        return y.astype(np.float32), y.astype(np.float32).astype(np.float64), (0.0, 1.0)
    if sc["kind"] == "airy":
        P = sc["photons"]
        y = rng.poisson(P * np.clip(b, 0, None)) / P + rng.normal(0, sc["noise"], b.shape)
        return y.astype(np.float32), y.astype(np.float32).astype(np.float64), (0.0, 1.0)
    P = sc["photons"]
    gain = PEAK_ADU / P
    e = rng.poisson(P * np.clip(b, 0, None)) + rng.normal(0, READ_E, b.shape)
    adu = np.clip(np.round(OFFSET + gain * e), 0, 65535).astype(np.uint16)
    return adu, (adu.astype(np.float64) - OFFSET) / PEAK_ADU, (OFFSET, PEAK_ADU)


# ----------------------------------------------------------------------------------------------- peers

def metrics(gt, x):
    return (float(peak_signal_noise_ratio(gt, x, data_range=1.0)),
            float(structural_similarity(gt, x, data_range=1.0, gaussian_weights=True, sigma=1.5,
                                        use_sample_covariance=False)))


def rl_trace(y, psf, gt, n):
    """scikit-image 0.19.3 richardson_lucy's loop (same calls, float64), PSNR after every iteration."""
    est = np.full(y.shape, 0.5)
    mirror = np.flip(psf)
    psnrs = []
    for _ in range(n):
        conv = convolve(est, psf, mode="same") + 1e-12
        est *= convolve(y / conv, mirror, mode="same")
        psnrs.append(float(peak_signal_noise_ratio(gt, est, data_range=1.0)))
    return psnrs


def run_peers(gt, y, psf):
    res = {}
    trace = rl_trace(y, psf, gt, RL_MAX)
    n_best = int(np.argmax(trace)) + 1
    x = richardson_lucy(y, psf, num_iter=n_best, clip=False)
    p, s = metrics(gt, x)
    assert abs(p - trace[n_best - 1]) < 1e-6, (p, trace[n_best - 1])
    res["sk_rl"] = dict(psnr=p, ssim=s, param=f"N={n_best}", n=n_best, trace=trace)
    best = None
    for bal in WIENER_BALANCES:
        x = wiener(y, psf, balance=bal)
        pw = peak_signal_noise_ratio(gt, x, data_range=1.0)
        if best is None or pw > best[0]:
            best = (pw, bal, x)
    p, s = metrics(gt, best[2])
    res["sk_wiener"] = dict(psnr=p, ssim=s, param=f"balance={best[1]:.2g}")
    x, _ = unsupervised_wiener(y, psf, random_state=0)
    p, s = metrics(gt, x)
    res["sk_uwiener"] = dict(psnr=p, ssim=s, param="")
    # for the RL match: richardson_lucy on the data as the CLI's RL sees them (negative values clipped to 0). The
    # starts differ (skimage: flat 0.5; CLI: flat at the data's mean) but RL from a flat start gives the same
    # iterates whatever its level (x1 = A^T(y / A1) either way), so that is no difference.
    yp = np.clip(y, 0, None)
    for n in sorted({n_best, 30}):
        res[f"sk_rl_clipped_{n}"] = richardson_lucy(yp, psf, num_iter=n, clip=False)
    return res


# ----------------------------------------------------------------------------------------------- tables

def md_table(header, rows):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def ps(d):
    return f"{d['psnr']:.2f} / {d['ssim']:.3f}" if d else "failed"


# ----------------------------------------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="results/peers")
    ap.add_argument("--jar", default=os.path.join(ROOT, "target", "equilibria.jar"))
    ap.add_argument("--sets", default="tune,holdout")
    ap.add_argument("--quick", action="store_true", help="2 images per set, 1 CS image with fewer settings")
    ap.add_argument("--model", default=None, help="passed to --model of the deq runs (default: the CLI's default)")
    ap.add_argument("--skip-cs", action="store_true")
    ap.add_argument("--cs-only", action="store_true", help="only the compressed-sensing comparison")
    ap.add_argument("--cs-model", default=None, help="passed to --model of the CS deq runs (default: the CLI's default)")
    ap.add_argument("--cs-images", default="1", help="CS images per set: a count N (the first N, default 1) or image "
                    "names, comma-separated (those of each set that exist)")
    ap.add_argument("--check-leakage", action="store_true", help="also template-match every real crop against training (slow)")
    args = ap.parse_args()
    sets_wanted = [s.strip() for s in args.sets.split(",") if s.strip()]
    for s in sets_wanted:
        if s not in ("tune", "holdout"):
            ap.error(f"unknown set {s}")
    out = os.path.abspath(args.out)
    work = os.path.join(out, "work")
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(work)
    printed = []

    def log(msg=""):
        print(msg, flush=True)
        printed.append(msg)

    t_start = time.time()
    log(f"# bench_peers: CLI vs scikit-image {skimage.__version__} (oracle parameters)")
    cli = Cli(os.path.abspath(args.jar), work, log)
    model = args.model
    if model and os.path.exists(model):
        model = os.path.abspath(model)  # java runs in the repository root
    cs_model = args.cs_model
    if cs_model and os.path.exists(cs_model):
        cs_model = os.path.abspath(cs_model)
    if args.cs_only and args.skip_cs:
        ap.error("--cs-only and --skip-cs exclude each other")
    log(f"jar {args.jar} (snapshot sha256 {cli.jar_sha}), model {args.model or 'CLI default'}, sets {','.join(sets_wanted)}"
        f"{', QUICK' if args.quick else ''}, seed {SEED}")

    # ---- images
    sets = build_sets(sets_wanted, args.quick)
    hits = exact_leak_check(sets)
    if hits:
        raise SystemExit(f"training images in the validation sets: {hits}")
    log("\n## Images (256x256, [0, 1]); no source decodes to the pixels of any file under " + TRAIN + "\n")
    log(md_table(["set", "image", "modality", "source"],
                 [(s, it["name"], it["modality"], it["source"]) for s in sets for it in sets[s]]))
    for s in sets:
        for it in sets[s]:
            os.makedirs(os.path.join(work, "gt", s), exist_ok=True)
            tifffile.imwrite(os.path.join(work, "gt", s, it["name"] + ".tif"), it["gt"].astype(np.float32))
    if args.check_leakage:
        log("\nTemplate matching of every real crop against the training images (> 0.98 = a copy):")
        if template_leak_check(sets, log):
            raise SystemExit("a validation image matches a training image")

    cli_seconds = {}
    csv_rows = []
    summary = {"jar_sha256_16": cli.jar_sha, "model": args.model or "default", "cs_model": args.cs_model or "default"}
    if not args.cs_only:
        # ---- PSFs (written by the CLI, used by everyone)
        psf_dir = os.path.join(work, "psf")
        os.makedirs(psf_dir)
        psfs = {}
        for name, spec in psf_specs().items():
            path = os.path.join(psf_dir, name + ".tif")
            cli.run(["psf", *spec, "--output", path])
            psfs[name] = (path, read_tif(path))

        # ---- observations: obs/<psf>/<id>.tif as a user would have them; obs01/<psf>/<id>.tif in [0, 1] units
        obs = []  # dict(id, set, image, scenario, gt, y01, back, ...)
        gidx = 0
        for s in sets:
            for idx, it in enumerate(sets[s]):
                for sci, sc in enumerate(scenarios(idx, gidx)):
                    rng = np.random.default_rng([SEED, gidx, sci])
                    arr, y01, back = degrade(it["gt"], psfs[sc["psf"]][1], sc, rng)
                    oid = f"{s}__{it['name']}__{sc['kind']}"
                    for sub, a in (("obs", arr), ("obs01", y01.astype(np.float32))):
                        d = os.path.join(work, sub, sc["psf"])
                        os.makedirs(d, exist_ok=True)
                        tifffile.imwrite(os.path.join(d, oid + ".tif"), a)
                    obs.append(dict(id=oid, set=s, image=it["name"], modality=it["modality"], kind=it["kind"],
                                    scenario=describe(sc), camera=sc["camera"], psf=sc["psf"], gt=it["gt"], y01=y01,
                                    back=back, res={}))
                gidx += 1
        log(f"\n{len(obs)} observations ({len(obs) // 3} images x 3 scenarios), PSFs: {', '.join(psfs)}")

        # ---- peers
        t0 = time.time()
        for o in obs:
            o["res"].update(run_peers(o["gt"], o["y01"], psfs[o["psf"]][1]))
            o["res"]["input"] = dict(zip(("psnr", "ssim"), metrics(o["gt"], o["y01"])), param="")
        t_peers = time.time() - t0
        log(f"scikit-image peers: {t_peers:.0f} s")

        # ---- CLI, defaults, one JVM per (method, PSF)
        cli_seconds = {m: [] for m in METHODS}
        deq_models = set()
        for m in METHODS:
            for p in sorted({o["psf"] for o in obs}):
                ids = [o for o in obs if o["psf"] == p]
                odir = os.path.join(work, "cli", m, p)
                rep = os.path.join(work, "cli", f"{m}_{p}.json")
                a = ["reconstruct", "deblur", "--input", os.path.join(work, "obs", p), "--psf", psfs[p][0],
                     "--method", m, "--output", odir, "--report", rep]
                if m == "deq" and model:
                    a += ["--model", model]
                cli.run(a, label=m, images=len(ids))
                rows = read_report(rep)
                for o in ids:
                    r = rows.get(o["id"])
                    f = os.path.join(odir, o["id"] + ".tif")
                    if r is None or r["status"] != "ok" or not os.path.exists(f):
                        o["res"]["cli_" + m] = None
                        continue
                    x = (read_tif(f) - o["back"][0]) / o["back"][1]
                    pp, ss = metrics(o["gt"], x)
                    o["res"]["cli_" + m] = dict(psnr=pp, ssim=ss, param=f"it={r.get('iterations', '')}",
                                                seconds=float(r.get("seconds") or "nan"))
                    cli_seconds[m].append(float(r.get("seconds") or "nan"))
                    if m == "deq":
                        deq_models.add(model_sha(r))
            log(f"CLI {m}: done ({sum(c[1] for c in cli.calls if c[0] == m):.0f} s)")
        log(f"deq model file(s) used (sha256 from the reports): {', '.join(sorted(deq_models))}")
        summary_models = sorted(deq_models)

        # ---- RL match: CLI rl at N (defaults; and zero/none on the [0, 1] file) vs skimage at N
        groups = {}
        for o in obs:
            for n in sorted({o["res"]["sk_rl"]["n"], 30}):
                groups.setdefault((o["psf"], n), []).append(o)
        for (p, n), members in sorted(groups.items()):
            for variant, sub, extra in (("default", "obs", []), ("zero-none", "obs01", ["--boundary", "zero", "--normalize", "none"])):
                if variant == "default" and n == 30:
                    for o in members:  # the default run above is exactly this (30 iterations)
                        o["res"][f"rlm_default_{n}"] = o["res"]["cli_rl"]
                    continue
                odir = os.path.join(work, "rlmatch", f"{variant}_{p}_{n}")
                a = ["reconstruct", "deblur", "--input", os.path.join(work, sub, p), "--psf", psfs[p][0], "--method", "rl",
                     "--iterations", str(n), *extra, "--output", odir]
                for o in members:
                    a += ["--include", o["id"] + ".tif"]
                cli.run(a, label="rl-match", images=len(members))
                for o in members:
                    f = os.path.join(odir, o["id"] + ".tif")
                    if not os.path.exists(f):
                        o["res"][f"rlm_{variant}_{n}"] = None
                        continue
                    x = read_tif(f)
                    if variant == "default":
                        x = (x - o["back"][0]) / o["back"][1]
                    pp, ss = metrics(o["gt"], x)
                    o["res"][f"rlm_{variant}_{n}"] = dict(psnr=pp, ssim=ss, x=x)
        log(f"RL match: {len(groups)} (PSF, N) groups")

        # ---- tables: deblurring
        csv_rows = []
        summary = {"jar_sha256_16": cli.jar_sha, "model": args.model or "default", "cs_model": args.cs_model or "default",
                   "deq_model_sha256_16": summary_models,
                   "quick": args.quick, "sets": {}}
        meth_cols = [("input", "input"), ("cli_deq", "CLI deq"), ("cli_rl", "CLI rl"), ("cli_rltv", "CLI rltv"),
                     ("cli_tv", "CLI tv"), ("cli_wiener", "CLI wiener"), ("sk_rl", "skimage RL (oracle N)"),
                     ("sk_wiener", "skimage Wiener (oracle balance)"), ("sk_uwiener", "skimage unsup. Wiener")]
        for s in sets:
            mark = "  **HOLDOUT: never looked at while choosing defaults**" if s == "holdout" else " (used to choose defaults)"
            log(f"\n## Deblurring, set {s}{mark}\n")
            log("Cells: PSNR (dB) / SSIM, data range 1. Gain = CLI deq - max(oracle skimage RL, oracle skimage Wiener).\n")
            rows = []
            gains = {"float": [], "camera": []}
            for o in (o for o in obs if o["set"] == s):
                r = o["res"]
                best_peer = max(r["sk_rl"]["psnr"], r["sk_wiener"]["psnr"])
                gain = (r["cli_deq"]["psnr"] - best_peer) if r.get("cli_deq") else float("nan")
                o["gain"] = gain
                gains["camera" if o["camera"] else "float"].append((gain, o["image"]))
                rows.append([o["image"], o["scenario"]] + [ps(r.get(k)) for k, _ in meth_cols] +
                            [r["sk_rl"]["param"], r["sk_wiener"]["param"], f"{gain:+.2f}"])
                for k, label in meth_cols:
                    d = r.get(k)
                    csv_rows.append(dict(set=s, image=o["image"], modality=o["modality"], scenario=o["scenario"],
                                         input="uint16 camera" if o["camera"] else "float32", method=k,
                                         psnr=d["psnr"] if d else "", ssim=d["ssim"] if d else "",
                                         param=(d or {}).get("param", ""), seconds=(d or {}).get("seconds", ""),
                                         gain_deq_vs_best_peer=gain if k == "cli_deq" else ""))
            log(md_table(["image", "scenario"] + [lbl for _, lbl in meth_cols] + ["RL N", "Wiener balance", "gain (dB)"], rows))
            summ = {}
            srows = []
            for kind in ("float", "camera"):
                g = [x for x, _ in gains[kind] if not math.isnan(x)]
                if not g:
                    continue
                worst = min(gains[kind], key=lambda t: t[0] if not math.isnan(t[0]) else 1e9)
                summ[kind] = dict(n=len(g), mean_gain=float(np.mean(g)), worst_gain=float(min(g)), worst_image=worst[1],
                                  n_ge_0=int(sum(x >= 0 for x in g)))
                srows.append([f"{s}{' (HOLDOUT)' if s == 'holdout' else ''}", "16-bit camera files" if kind == "camera" else "float32 files",
                              len(g), f"{np.mean(g):+.2f}", f"{min(g):+.2f} ({worst[1]})", f"{summ[kind]['n_ge_0']} / {len(g)}"])
            allg = [x for k in gains for x, _ in gains[k] if not math.isnan(x)]
            summ["all"] = dict(n=len(allg), mean_gain=float(np.mean(allg)), worst_gain=float(min(allg)),
                               n_ge_0=int(sum(x >= 0 for x in allg)))
            srows.append([s, "all", len(allg), f"{np.mean(allg):+.2f}", f"{min(allg):+.2f}", f"{summ['all']['n_ge_0']} / {len(allg)}"])
            means = {k: float(np.mean([o["res"][k]["psnr"] for o in obs if o["set"] == s and o["res"].get(k)]))
                     for k, _ in meth_cols}
            summ["mean_psnr"] = means
            summ["per_observation"] = [dict(image=o["image"], scenario=o["scenario"], camera=o["camera"],
                                            gain=o["gain"], deq=o["res"]["cli_deq"]["psnr"] if o["res"].get("cli_deq") else None,
                                            sk_rl=o["res"]["sk_rl"]["psnr"], sk_wiener=o["res"]["sk_wiener"]["psnr"])
                                       for o in obs if o["set"] == s]
            summary["sets"][s] = summ
            log(f"\nGain of CLI deq over the better oracle skimage peer, set {s}:\n")
            log(md_table(["set", "inputs", "n", "mean gain (dB)", "worst gain (dB)", "images >= 0"], srows))
            log("\nMean PSNR over the set: " + ", ".join(f"{lbl} {means[k]:.2f}" for k, lbl in meth_cols))

        # ---- RL match table
        log("\n## RL match: CLI `--method rl --iterations N` vs skimage `richardson_lucy(num_iter=N, clip=False)`\n")
        log("N = skimage's oracle N, and 30 (the CLI default). PSNR in dB; diff = CLI - skimage; target |diff| <= 0.2 dB.\n"
            "* **as users run them**: CLI defaults (extended boundary, percentile normalisation) on the user's file vs "
            "skimage on the [0, 1]-unit observation;\n"
            "* **same model**: CLI `--boundary zero --normalize none` on the [0, 1]-unit float file vs skimage on the same "
            "data clipped at 0 (as the CLI's RL does); the one difference left is that the CLI divides by A^T 1, "
            "which is < 1 within a PSF radius of the border under zero padding (skimage's borders darken a little more "
            "every iteration). *interior* = the same PSNRs without a 32 px border.\n")
        rows = []
        rlm_stats = {}
        for o in obs:
            r = o["res"]
            nb = r["sk_rl"]["n"]
            cells = [f"{o['set']}/{o['image']}", o["scenario"]]
            for n in (nb, 30):
                skp = r["sk_rl"]["trace"][n - 1]
                skx = r[f"sk_rl_clipped_{n}"]
                skm = float(peak_signal_noise_ratio(o["gt"], skx, data_range=1.0))
                d = r.get(f"rlm_default_{n}")
                z = r.get(f"rlm_zero-none_{n}")
                dd = d["psnr"] - skp if d else float("nan")
                dz = z["psnr"] - skm if z else float("nan")
                inner = (slice(32, -32), slice(32, -32))
                di = (float(peak_signal_noise_ratio(o["gt"][inner], z["x"][inner], data_range=1.0)) -
                      float(peak_signal_noise_ratio(o["gt"][inner], skx[inner], data_range=1.0))) if z else float("nan")
                cells += [n, f"{skp:.2f}", f"{d['psnr']:.2f}" if d else "failed", f"{dd:+.2f}",
                          f"{skm:.2f}", f"{z['psnr']:.2f}" if z else "failed", f"{dz:+.2f}", f"{di:+.2f}"]
                tag = "oracle N" if n == nb else "N = 30"
                rlm_stats.setdefault(f"as users run them, {tag}", []).append(dd)
                rlm_stats.setdefault(f"same model, {tag}", []).append(dz)
                rlm_stats.setdefault(f"same model, interior, {tag}", []).append(di)
                csv_rows.append(dict(set=o["set"], image=o["image"], modality=o["modality"], scenario=o["scenario"],
                                     input="uint16 camera" if o["camera"] else "float32", method=f"rlmatch_N{n}",
                                     psnr=skp, ssim="",
                                     param=(f"skimage_same_model={skm};cli_default={d['psnr'] if d else ''};"
                                            f"cli_zero_none={z['psnr'] if z else ''}"),
                                     seconds="", gain_deq_vs_best_peer=""))
            rows.append(cells)
        log(md_table(["image", "scenario", "N", "skimage", "CLI default", "diff", "skimage y+", "CLI zero/none",
                      "diff", "diff interior", "N", "skimage", "CLI default", "diff", "skimage y+", "CLI zero/none", "diff",
                      "diff interior"], rows))
        srows = []
        for k, v in rlm_stats.items():
            v = [x for x in v if not math.isnan(x)]
            srows.append([k, len(v), f"{np.mean(v):+.2f}", f"{np.min(v):+.2f}", f"{np.max(v):+.2f}",
                          f"{sum(abs(x) <= 0.2 for x in v)} / {len(v)}"])
        log("\n" + md_table(["comparison", "n", "mean diff (dB)", "min", "max", "|diff| <= 0.2 dB"], srows))
        summary["rl_match"] = {k: dict(mean=float(np.nanmean(v)), min=float(np.nanmin(v)), max=float(np.nanmax(v)),
                                       within_0_2=int(sum(abs(x) <= 0.2 for x in v))) for k, v in rlm_stats.items()}

    # ---- compressed sensing
    if not args.skip_cs:
        cs_images = []
        for s in sets:
            if args.cs_images.isdigit():
                cs_images += [(s, it) for it in sets[s][:(1 if args.quick else int(args.cs_images))]]
            else:
                names = {n.strip() for n in args.cs_images.split(",")}
                cs_images += [(s, it) for it in sets[s] if it["name"] in names]
        ratios, ops, noises = (([0.25], ["gaussian", "hadamard"], [0.01]) if args.quick
                               else (CS_RATIOS, CS_OPERATORS, CS_NOISES))
        mdir = os.path.join(work, "cs", "meas")
        os.makedirs(mdir)
        meas = []
        for s, it in cs_images:
            gt_path = os.path.join(work, "gt", s, it["name"] + ".tif")
            for op in ops:
                for r in ratios:
                    for nz in noises:
                        mid = f"{s}__{it['name']}__{op}_r{r:g}_n{nz:g}"
                        a = ["simulate", "cs", "--input", gt_path, "--ratio", f"{r:g}", "--operator", op, "--seed", "1",
                             "--output", os.path.join(mdir, mid + ".tif")]
                        if nz > 0:
                            a += ["--noise-sigma", f"{nz:g}"]
                        cli.run(a)
                        meas.append(dict(id=mid, set=s, image=it["name"], gt=it["gt"], op=op, ratio=r, noise=nz, tv={}))

        def cs_run(method, lam, members, tag):
            odir = os.path.join(work, "cs", tag)
            rep = odir + ".json"
            a = ["reconstruct", "cs", "--input", mdir, "--method", method, "--output", odir, "--report", rep]
            if lam is not None:
                a += ["--lambda", f"{lam:.6g}"]
            if method == "deq" and cs_model:
                a += ["--model", cs_model]
            for m in members:
                a += ["--include", m["id"] + ".tif"]
            cli.run(a, label=f"cs-{method}", images=len(members))
            rows = read_report(rep)
            res = {}
            for m in members:
                f = os.path.join(odir, m["id"] + ".tif")
                if os.path.exists(f):
                    pp, ss = metrics(m["gt"], read_tif(f))
                    res[m["id"]] = dict(psnr=pp, ssim=ss, seconds=float(rows.get(m["id"], {}).get("seconds") or "nan"))
                    cli_seconds.setdefault(f"cs-{method}", []).append(res[m["id"]]["seconds"])
            return res

        deq = cs_run("deq", None, meas, "deq")
        for m in meas:
            m["deq"] = deq.get(m["id"])
        # FISTA-TV: lambda on a log grid (factor sqrt(10)), extended while the best is at an end
        todo = {}
        for m in meas:
            for lam in CS_LAMBDA_START[m["noise"]]:
                todo.setdefault(float(f"{lam:.6g}"), []).append(m)
        for rnd in range(4):
            for lam, members in sorted(todo.items()):
                if not members:
                    continue
                res = cs_run("tv", lam, members, f"tv_{lam:.3g}")
                for m in members:
                    if m["id"] in res:
                        m["tv"][lam] = res[m["id"]]
            todo = {}
            for m in meas:
                if not m["tv"]:
                    continue
                lams = sorted(m["tv"])
                best = max(lams, key=lambda l: m["tv"][l]["psnr"])
                step = math.sqrt(10)
                if best == lams[0] and best / step >= 1e-6:
                    todo.setdefault(best / step, []).append(m)
                elif best == lams[-1] and best * step <= 1.0:
                    todo.setdefault(best * step, []).append(m)
            # merge numerically equal lambdas
            merged = {}
            for lam, ms in todo.items():
                key = float(f"{lam:.6g}")
                merged.setdefault(key, []).extend(ms)
            todo = merged
            if not todo:
                break
        log("\n## Compressed sensing: `reconstruct cs --method deq` (defaults) vs the CLI's FISTA-TV with the best "
            "`--lambda` (oracle)\n")
        rows = []
        cs_gains = {}
        for m in meas:
            if not m["tv"] or not m["deq"]:
                rows.append([m["set"], m["image"], m["op"], m["ratio"], m["noise"], ps(m.get("deq")), "failed", "", ""])
                continue
            lam = max(m["tv"], key=lambda l: m["tv"][l]["psnr"])
            tv = m["tv"][lam]
            g = m["deq"]["psnr"] - tv["psnr"]
            cs_gains.setdefault(m["set"], []).append(g)
            rows.append([m["set"] + (" (HOLDOUT)" if m["set"] == "holdout" else ""), m["image"], m["op"], m["ratio"],
                         m["noise"], ps(m["deq"]), ps(tv), f"{lam:.2g} (of {len(m['tv'])})", f"{g:+.2f}"])
            for meth, d, prm in (("cs_deq", m["deq"], ""), ("cs_tv_best", tv, f"lambda={lam:.3g}")):
                csv_rows.append(dict(set=m["set"], image=m["image"], modality="", scenario=f"cs {m['op']} r={m['ratio']} noise={m['noise']}",
                                     input="measurement", method=meth, psnr=d["psnr"], ssim=d["ssim"], param=prm,
                                     seconds=d.get("seconds", ""), gain_deq_vs_best_peer=g if meth == "cs_deq" else ""))
        log(md_table(["set", "image", "operator", "ratio", "noise", "DEQ", "TV (best λ)", "best λ", "DEQ − TV (dB)"], rows))
        summary["cs"] = {s: dict(n=len(v), mean=float(np.mean(v)), worst=float(min(v)), n_ge_0=int(sum(x >= 0 for x in v)))
                         for s, v in cs_gains.items()}
        for s, v in summary["cs"].items():
            log(f"\nCS, set {s}{' (HOLDOUT)' if s == 'holdout' else ''}: DEQ − best TV mean {v['mean']:+.2f} dB, "
                f"worst {v['worst']:+.2f} dB, {v['n_ge_0']} / {v['n']} >= 0")

    # ---- timing
    log("\n## Seconds per CLI call\n")
    log("wall = JVM start to exit (directory input, one JVM per method and PSF) divided by the images it processed; "
        "solver = the CLI report's per-image seconds (median).\n")
    rows = []
    timing = {}
    labels = []
    for lbl, _, _ in cli.calls:
        if lbl not in labels:
            labels.append(lbl)
    for lbl in labels:
        c = [x for x in cli.calls if x[0] == lbl]
        wall = sum(x[1] for x in c)
        n = sum(x[2] for x in c)
        solver = [x for x in cli_seconds.get(lbl, []) if not math.isnan(x)]
        timing[lbl] = dict(jvm_calls=len(c), images=n, wall_s=wall, wall_per_image_s=wall / max(n, 1),
                           median_solver_s=float(np.median(solver)) if solver else None)
        rows.append([lbl, len(c), n, f"{wall:.0f}", f"{wall / max(n, 1):.2f}",
                     f"{np.median(solver):.2f}" if solver else ""])
    log(md_table(["CLI call", "JVM calls", "images", "wall s", "wall s / image", "median solver s / image"], rows))
    summary["timing"] = timing
    summary["peers_seconds"] = None if args.cs_only else t_peers
    total = time.time() - t_start
    summary["total_seconds"] = total
    log(f"\nTotal {total / 60:.1f} min. Results: {out}/rows.csv, {out}/summary.json, {out}/tables.md")

    with open(os.path.join(out, "rows.csv"), "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(csv_rows[0]))
        w.writeheader()
        w.writerows(csv_rows)
    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(out, "tables.md"), "w") as f:
        f.write("\n".join(printed) + "\n")


if __name__ == "__main__":
    main()
