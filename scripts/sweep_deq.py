#!/usr/bin/python3
"""Sweep: the CLI's default deq deblur under variants (extra CLI options and/or JVM system properties) on one
validation set of bench_peers.py, scored as bench_peers scores it (gain over the better of oracle scikit-image RL and
Wiener), with the solver seconds. For choosing speed/quality settings on the tune set; report them with
bench_peers.py on the holdout set.

    /usr/bin/python3 scripts/sweep_deq.py --set tune --variant base: --variant "its25:--iterations 25" \\
        --variant "probe20::-Dequilibria.exp.probe=20"

A variant is NAME:CLI OPTIONS[:JVM OPTIONS]."""
import argparse, os, shlex, statistics, sys, time
import numpy as np, tifffile
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_peers as bp


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--set", default="tune")
    ap.add_argument("--out", default="results/sweep")
    ap.add_argument("--jar", default=os.path.join(bp.ROOT, "target", "equilibria.jar"))
    ap.add_argument("--variant", action="append", required=True)
    args = ap.parse_args()
    work = os.path.abspath(args.out)
    os.makedirs(work, exist_ok=True)
    cli = bp.Cli(os.path.abspath(args.jar), os.path.join(work, "snap-%d" % os.getpid()), print)
    sets = bp.build_sets([args.set], False)
    psfs = {}
    for name, spec in bp.psf_specs().items():
        path = os.path.join(work, "psf", name + ".tif")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        cli.run(["psf", *spec, "--output", path])
        psfs[name] = (path, bp.read_tif(path))
    obs = []
    gidx = 0  # as bench_peers.py numbers a set run alone
    for idx, it in enumerate(sets[args.set]):
        for sci, sc in enumerate(bp.scenarios(idx, gidx)):
            rng = np.random.default_rng([bp.SEED, gidx, sci])
            arr, y01, back = bp.degrade(it["gt"], psfs[sc["psf"]][1], sc, rng)
            oid = f"{args.set}__{it['name']}__{sc['kind']}"
            d = os.path.join(work, "obs", sc["psf"])
            os.makedirs(d, exist_ok=True)
            tifffile.imwrite(os.path.join(d, oid + ".tif"), arr)
            obs.append(dict(id=oid, psf=sc["psf"], gt=it["gt"], y01=y01, back=back, scen=bp.describe(sc)))
        gidx += 1
    t0 = time.time()
    for o in obs:
        r = bp.run_peers(o["gt"], o["y01"], psfs[o["psf"]][1])
        o["peer"] = max(r["sk_rl"]["psnr"], r["sk_wiener"]["psnr"])
    print(f"{len(obs)} observations; peers {time.time() - t0:.0f} s", flush=True)
    for v in args.variant:
        parts = v.split(":", 2)
        name, extra, jvm = parts[0], shlex.split(parts[1]) if len(parts) > 1 else [], parts[2] if len(parts) > 2 else ""
        gains, secs = [], []
        t0 = time.time()
        for p in sorted({o["psf"] for o in obs}):
            odir = os.path.join(work, "cli", name, p)
            rep = os.path.join(work, "cli", f"{name}_{p}.json")
            a = ["reconstruct", "deblur", "--input", os.path.join(work, "obs", p), "--psf", psfs[p][0], "--method", "deq",
                 "--output", odir, "--report", rep, *extra]
            old = os.environ.get("JAVA_TOOL_OPTIONS")
            if jvm:
                os.environ["JAVA_TOOL_OPTIONS"] = jvm
            try:
                cli.run(a, label=name)
            finally:
                if jvm:
                    if old is None:
                        del os.environ["JAVA_TOOL_OPTIONS"]
                    else:
                        os.environ["JAVA_TOOL_OPTIONS"] = old
            rows = bp.read_report(rep)
            for o in obs:
                if o["psf"] != p:
                    continue
                x = (bp.read_tif(os.path.join(odir, o["id"] + ".tif")) - o["back"][0]) / o["back"][1]
                g = bp.metrics(o["gt"], x)[0] - o["peer"]
                gains.append(g)
                secs.append(float(rows[o["id"]].get("seconds") or "nan"))
                o.setdefault("g", {})[name] = g
        worst = min(range(len(gains)), key=lambda i: gains[i])
        print(f"{name:14s} mean {statistics.mean(gains):+.2f} dB, worst {gains[worst]:+.2f}, >=0: "
              f"{sum(g >= 0 for g in gains)}/{len(gains)}, seconds/image mean {statistics.mean(secs):.2f} "
              f"max {max(secs):.2f} (wall {time.time() - t0:.0f} s)", flush=True)
    names = [v.split(":", 1)[0] for v in args.variant]
    print("image".ljust(44) + " ".join(n[:9].rjust(9) for n in names))
    for o in obs:
        print((o["id"].split("__", 1)[1])[:44].ljust(44) + " ".join(f"{o['g'][n]:+9.2f}" for n in names))


if __name__ == "__main__":
    main()
