#!/usr/bin/python3
"""The README's 3D figure: xy and xz slices of a phantom z-stack, its widefield observation, scikit-image's RL at its
oracle-best iteration (mirror or zero padding, whichever is better) and the CLI's `rl` with default options.

Uses the second case of the holdout set (cells) of scripts/bench_3d.py (the same phantom, PSF and noise); writes
src/site/images/volume_rl_xy_xz.png. Usage: /usr/bin/python3 scripts/figure_3d.py [--jar JAR]
"""
import argparse
import os
import sys
import tempfile

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_3d as b  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--jar", default=os.path.join(b.ROOT, "target", "equilibria.jar"))
    ap.add_argument("--out", default=os.path.join(b.ROOT, "src", "site", "images", "volume_rl_xy_xz.png"))
    a = ap.parse_args()
    case = b.SETS["holdout"][1]
    with tempfile.TemporaryDirectory() as tmp:
        truth, noisy, scale, psf, k, files = b.make_case(a.jar, tmp, case)
        out = os.path.join(tmp, "rl.tif")
        b.cli(a.jar, "reconstruct", "deblur", "--input", files["float"], "--psf", psf, "--method", "rl", "--output", out)
        ours = b.read(out) / scale
        best = None
        for pad in (False, True):
            p, it, _ = b.skimage_rl_trace(noisy, k, b.SK_ITERATIONS, truth * scale, pad)
            if best is None or p > best[0]:
                best = (p, it, pad)
        half = [s // 2 for s in k.shape]
        y = np.clip(noisy, 0, None)
        data = np.pad(y, [(h, h) for h in half], mode="reflect") if best[2] else y
        est = b.skdeconv.richardson_lucy(data.astype(np.float32), k.astype(np.float32), num_iter=best[1], clip=False)
        if best[2]:
            est = est[tuple(slice(h, h + s) for h, s in zip(half, y.shape))]
        sk = est / scale
    panels = [("ground truth", truth), ("widefield stack (%d photons)" % case[5], noisy / scale),
              ("scikit-image RL, oracle %d it., %s pad\n%.2f dB" % (best[1], "mirror" if best[2] else "zero", b.psnr(truth, sk)), sk),
              ("Equilibria rl, defaults\n%.2f dB" % b.psnr(truth, ours), ours)]
    d, h, w = truth.shape
    zr = case[3][1] / case[3][0]  # axial / lateral voxel size: xz drawn at physical scale
    fig, ax = plt.subplots(2, 4, figsize=(13, 3.25 * (1 + d * zr / h)), gridspec_kw={"height_ratios": [h, d * zr]})
    hi = np.percentile(truth, 99.8)
    zp = int(np.argmax(truth.sum(axis=(1, 2))))  # the plane and the row with the most specimen in them
    yr = int(np.argmax(truth.sum(axis=(0, 2))))
    for j, (title, v) in enumerate(panels):
        ax[0, j].imshow(v[zp], cmap="magma", vmin=0, vmax=hi)
        ax[0, j].set_title(title, fontsize=9)
        ax[1, j].imshow(v[:, yr, :], cmap="magma", vmin=0, vmax=hi, aspect=zr, origin="lower")  # z up
        for r in (0, 1):
            ax[r, j].set_xticks([])
            ax[r, j].set_yticks([])
    ax[0, 0].set_ylabel("xy (plane %d)" % zp)
    ax[1, 0].set_ylabel("xz (row %d), z up" % yr)
    fig.tight_layout()
    fig.savefig(a.out, dpi=90)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
