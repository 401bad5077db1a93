#!/usr/bin/env python3
"""Runs the README's reconstruct commands with two builds and compares their reports field by field.

Usage: scripts/report_parity.py OLD.jar NEW.jar [--work DIR]

Every field of the old report must be in the new one with the same value (numbers to 1e-6 relative); fields the new
build adds are listed, not failed. Timings, memory and the device line are not compared. Exit 1 on a difference.
"""
import argparse, csv, json, os, shutil, subprocess, sys, tempfile

VOLATILE = {"seconds", "solverSeconds", "startSeconds", "searchSeconds", "peakRssMiB", "device", "estimatedPeakMiB",
            "memoryBudgetMiB", "warning"}


def commands(d):
    s = "sample-images"
    return {
        "readme-first": ["reconstruct", "deblur", "--input", f"{s}/cell_blurred.tif", "--psf", f"{s}/psf_gaussian2.tif", "--method", "deq",
                         "--side-by-side", f"{d}/cmp.png", "--output", f"{d}/cell_deq.tif", "--report", f"{d}/cell_deq.json"],
        "rl-reference": ["reconstruct", "deblur", "--input", f"{s}/cell_blurred.tif", "--psf", f"{s}/psf_gaussian2.tif", "--method", "rl",
                         "--reference", f"{s}/skimage_cell_qpi.png", "--output", f"{d}/rl.tif", "--report", f"{d}/rl.json"],
        "simulate-cs": ["simulate", "cs", "--input", f"{s}/skimage_cell_qpi.png", "--ratio", "0.25", "--seed", "1", "--output", f"{d}/meas.tif"],
        "cs-tv": ["reconstruct", "cs", "--input", f"{d}/meas.tif", "--method", "tv", "--output", f"{d}/cs.tif", "--report", f"{d}/cs.json"],
        "simulate-views": ["simulate", "deblur", "--input", f"{s}/skimage_cell_qpi.png", "--psf", "gaussian:1.5", "--frames", "4", "--seed", "1",
                           "--output", f"{d}/views.tif"],
        "stack-verify": ["reconstruct", "deblur", "--input", f"{d}/views.tif", "--psf", "gaussian:1.5", "--method", "deq",
                         "--warm-start", "verify", "--output", f"{d}/stack.tif", "--report", f"{d}/stack.json"],
        "batch-csv": ["reconstruct", "deblur", "--input", f"{d}/in", "--recursive", "--include", "*.tif", "--psf", "gaussian:2",
                      "--method", "wiener", "--output", f"{d}/out", "--report", f"{d}/batch.csv"],
        "batch-json-resume": ["reconstruct", "deblur", "--input", f"{d}/in", "--recursive", "--psf", "gaussian:2", "--method", "wiener",
                              "--output", f"{d}/out", "--report", f"{d}/batch.json", "--resume"],
    }


def run_all(jar, d):
    os.makedirs(f"{d}/in/sub", exist_ok=True)
    shutil.copy("sample-images/cell_blurred.tif", f"{d}/in/a.tif")
    shutil.copy("sample-images/cell_blurred.tif", f"{d}/in/sub/b.tif")
    env = dict(os.environ, OMP_NUM_THREADS="1")
    for name, args in commands(d).items():
        r = subprocess.run(["java", "-Dai.djl.offline=true", "-jar", jar] + args, capture_output=True, text=True, env=env)
        if r.returncode != 0:
            sys.exit(f"{jar} {name}: exit {r.returncode}\n{r.stderr[-2000:]}")


def load(path):
    if path.endswith(".csv"):
        with open(path) as f:
            return [dict(row) for row in csv.DictReader(f)]
    with open(path) as f:
        return json.load(f)


def compare(path, old, new, diffs, added):
    if isinstance(old, dict):
        if not isinstance(new, dict):
            diffs.append(f"{path}: no longer an object")
            return
        for k, v in old.items():
            if k in VOLATILE:
                continue
            if k not in new:
                diffs.append(f"{path}/{k}: missing (was {json.dumps(v)[:80]})")
            else:
                compare(f"{path}/{k}", v, new[k], diffs, added)
        added.extend(f"{path}/{k}" for k in new if k not in old)
    elif isinstance(old, list):
        if not isinstance(new, list) or len(old) != len(new):
            diffs.append(f"{path}: {len(old)} entries, now {len(new) if isinstance(new, list) else new}")
            return
        for i, (a, b) in enumerate(zip(old, new)):
            compare(f"{path}/{i}", a, b, diffs, added)
    else:
        try:
            a, b = float(old), float(new)
            if abs(a - b) > 1e-6 * max(1e-12, abs(a)) and not (a != a and b != b):
                diffs.append(f"{path}: {old}, now {new}")
            return
        except (TypeError, ValueError):
            pass
        if old != new and not (isinstance(old, str) and " s" in old and "." in old):
            diffs.append(f"{path}: {json.dumps(old)[:100]}, now {json.dumps(new)[:100]}")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("old")
    p.add_argument("new")
    p.add_argument("--work", default=None)
    a = p.parse_args()
    work = a.work or tempfile.mkdtemp(prefix="report-parity-")
    dirs = {}
    for label, jar in (("old", a.old), ("new", a.new)):
        dirs[label] = os.path.join(work, label)
        run_all(os.path.abspath(jar), dirs[label])
    failed = False
    for report in ("cell_deq.json", "rl.json", "cs.json", "stack.json", "batch.csv", "batch.json"):
        old = load(os.path.join(dirs["old"], report).replace(dirs["old"], dirs["old"]))
        new_text = open(os.path.join(dirs["new"], report)).read().replace(dirs["new"], dirs["old"])
        new = json.loads(new_text) if report.endswith(".json") else list(csv.DictReader(new_text.splitlines()))
        diffs, added = [], []
        compare("", old, new, diffs, added)
        print(f"{report}: {'same' if not diffs else str(len(diffs)) + ' difference(s)'}"
              + (f"; added: {', '.join(sorted(set(added)))}" if added else ""))
        for line in diffs:
            print("   ", line)
        failed |= bool(diffs)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
