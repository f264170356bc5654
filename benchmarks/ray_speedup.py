"""The Ray executor against the local one: the same sweep's wall time, side by side, and Ray's own cost per run.

    python benchmarks/ray_speedup.py [--repeats N] [--seeds 0,1,2,3] [--backends torch,classical]
                                     [--threads 1] [--per-node 2]

Each repeat runs the same sweep (backends x moons x seeds: 8 small configurations
by default) once with ``--executor local`` and once with ``--executor ray``, in
alternating order, each as ``python -m harness sweep`` in a fresh process with a
fresh store. The wall time is the whole command, so Ray's start-up and shutdown
count against it. Ray's own cost per configuration is the driver's wait for a
row beyond the run's own wall time (``executor_overhead_s``: scheduling and
transfer). Prints a markdown table: medians (min-max, n).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from harness.results.provenance import cpu_model  # noqa: E402
from harness.results.stats import summarize  # noqa: E402
from harness.results.store import read_rows  # noqa: E402


def sweep_seconds(executor: str, args, results: str) -> float:
    cmd = [sys.executable, "-m", "harness", "sweep", "--executor", executor, "--backends", args.backends,
           "--tasks", "moons", "--seeds", args.seeds, "--threads", str(args.threads), "--results", results]
    if executor == "ray":
        cmd += ["--per-node", str(args.per_node)]
    start = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)), check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seeds", default="0,1,2,3")
    parser.add_argument("--backends", default="torch,classical")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--per-node", type=int, default=2)
    args = parser.parse_args(argv)
    walls = {"local": [], "ray": []}
    overhead = []
    n_configs = None
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.repeats):
            for executor in (("local", "ray") if r % 2 == 0 else ("ray", "local")):
                results = os.path.join(tmp, f"{executor}-{r}")
                walls[executor].append(sweep_seconds(executor, args, results))
                rows = read_rows(results, warn=False).rows
                n_configs = len(rows)
                if executor == "ray":
                    overhead += [row["executor_overhead_s"] for row in rows]
    local, ray, over = summarize(walls["local"]), summarize(walls["ray"]), summarize(overhead)
    print(f"{n_configs} configurations ({args.backends} x moons x seeds {args.seeds}), {args.threads} thread(s) "
          f"per run, --per-node {args.per_node}; {cpu_model()}; medians (min-max, n)\n")
    print("| | local | ray |\n| --- | --- | --- |")
    print(f"| sweep wall time, s | {local['median']:.1f} ({local['min']:.1f}-{local['max']:.1f}, n={local['n']}) | "
          f"{ray['median']:.1f} ({ray['min']:.1f}-{ray['max']:.1f}, n={ray['n']}) |")
    print(f"| speed-up (local / ray, medians) | | {local['median'] / ray['median']:.2f}x |")
    print(f"| Ray's own cost per configuration, s | | {over['median']:.3f} ({over['min']:.3f}-{over['max']:.3f}, "
          f"n={over['n']}) |")
    return {"local": local, "ray": ray, "overhead": over, "configurations": n_configs}


if __name__ == "__main__":
    main()
