"""Is this machine as fast as the one a store was measured on? A few of the store's own runs again, here.

    python scripts/machine_speed.py results/reference [--runs 3] [--backends torch,default-backprop,qiskit-shift]

The same CPU model can run the same work at another speed: on 2026-12-02 a VM of another build ran the
reference's runs 1.64x as long (README, "What it cost"). Before a long sweep, this says which kind of day it
is. It runs the store's own ``moons`` configuration (seed 0, as stored: epochs, sizes, threads) on each
backend ``--runs`` times in fresh children, the backends alternating, and sets each run's whole wall time
(``run_wall_s``: what a sweep pays for it), setup (``setup_s``) and training (``train_s``) against the
store's quiet ok rows of that configuration (every seed): both ranges and the ratio of medians per backend,
the median of those ratios, and what the store's own runs would take here at them (training and setup
scaled apart, since a slow disk slows the imports and not the steps; a timeout as it was). The rows made here go to a
temporary store, never to the one read. It is a timing: run it on a quiet machine.
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.datasets.cache import CACHE_ENV  # noqa: E402
from harness.executing.eta import unseeded  # noqa: E402
from harness.executing.runner import run_config  # noqa: E402
from harness.executing.sweep import config_key  # noqa: E402
from harness.inputs.config import RunConfig  # noqa: E402
from harness.results.provenance import code_version  # noqa: E402
from harness.results.store import read_rows, store_path  # noqa: E402
from harness.results.words import plural  # noqa: E402

TASK = "moons"


def stored_runs(rows: list[dict], backend: str) -> list[dict]:
    """The store's runs of ``TASK`` on ``backend`` as the report reads them (the newest row of a configuration
    and seed), ok and quiet, in the configuration with a seed-0 run that has the most of them; seed 0 first."""
    newest = {config_key(r): r for r in rows}
    by_config: dict[tuple, list[dict]] = {}
    for r in newest.values():
        if (r.get("task"), r.get("backend"), r.get("status")) == (TASK, backend, "ok") and r.get("busy") is not True \
                and r.get("run_wall_s"):
            by_config.setdefault(unseeded(config_key(r)), []).append(r)
    with_seed0 = [runs for runs in by_config.values() if any(r.get("seed") == 0 for r in runs)]
    if not with_seed0:
        return []
    return sorted(max(with_seed0, key=len), key=lambda r: r.get("seed") != 0)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="torch,default-backprop,qiskit-shift")
    args = parser.parse_args(argv)
    if not store_path(args.results).exists():
        print(f"machine_speed: no results store at {args.results} (a folder holding runs.jsonl, or a .jsonl "
              f"file)", file=sys.stderr)
        return 2
    if args.runs < 1:
        print(f"machine_speed: --runs must be at least 1; received {args.runs}", file=sys.stderr)
        return 2
    backends = [b for b in args.backends.split(",") if b.strip()]
    if not backends:
        print(f"machine_speed: --backends names no backend; received {args.backends!r}", file=sys.stderr)
        return 2
    rows = read_rows(args.results, warn=False).rows
    there = {b: stored_runs(rows, b) for b in backends}
    missing = [b for b in backends if not there[b]]
    if missing:
        print(f"machine_speed: {args.results} holds no quiet ok {TASK} run of seed 0 on {', '.join(missing)}; "
              f"valid here: {', '.join(sorted({b for b in {r.get('backend') for r in rows} if stored_runs(rows, b)}))}",
              file=sys.stderr)
        return 2
    # the same data work as the store's runs did: rows from before the data cache parsed in every run
    stored = [r for runs in there.values() for r in runs]
    before_cache = all(r.get("data_cache") is None for r in stored)
    versions = sorted({str(r.get("code_version")) for r in stored} - {code_version()})
    if before_cache:
        print(f"the store's runs predate the data cache: the runs here do the data work in setup too "
              f"({CACHE_ENV}=off)")
    if versions:
        print(f"the store was measured by other measuring code ({', '.join(versions)}; this is {code_version()}): "
              f"a change in what a run does moves these ratios too")
    here: dict[str, list[dict]] = {b: [] for b in backends}
    saved = os.environ.get(CACHE_ENV)
    if before_cache:
        os.environ[CACHE_ENV] = "off"            # the children inherit it
    try:
        _run_here(args.runs, backends, there, here)
    finally:
        if saved is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = saved
    return _say(args.results, rows, backends, there, here)


def _run_here(runs: int, backends: list[str], there: dict, here: dict) -> None:
    """``runs`` rounds of each backend's stored seed-0 configuration, the backends' order turning each round."""
    with tempfile.TemporaryDirectory(prefix="machine-speed-") as tmp:
        for round_index in range(runs):
            for b in backends[round_index % len(backends):] + backends[:round_index % len(backends)]:
                cfg = dataclasses.replace(RunConfig.from_dict(there[b][0]), timeout_s=None, data_dir=None)
                row = run_config(cfg, tmp, echo=None)
                if row.get("status") != "ok" or row.get("busy") is True:
                    print(f"machine_speed: {b} round {round_index + 1}: {row.get('status')}"
                          f"{' on a busy machine' if row.get('busy') else ''}; left out", file=sys.stderr)
                    continue
                here[b].append(row)


def _say(results, rows: list[dict], backends: list[str], there: dict, here: dict) -> int:
    ratios: dict[str, list[float]] = {part: [] for part in PARTS}
    print(f"{TASK}: here against {results}, seconds, median (min-max, n)")
    for b in backends:
        if not here[b]:
            print(f"  {b}: no quiet run here")
            continue
        said = []
        for part, field in PARTS.items():
            now, past = [r[field] for r in here[b] if r.get(field)], [r[field] for r in there[b] if r.get(field)]
            if not now or not past:
                said.append(f"{part}: not recorded on both sides")
                continue
            ratios[part].append(statistics.median(now) / statistics.median(past))
            said.append(f"{part} {_range(now)} against {_range(past)}, x{ratios[part][-1]:.2f}")
        print(f"  {b}: " + "; ".join(said))
    if not ratios["whole run"]:
        return 1
    factor = {part: statistics.median(v) for part, v in ratios.items() if v}
    print("median ratio over the backends: " + ", ".join(f"{part} x{f:.2f}" for part, f in factor.items()))
    # a run that timed out costs its timeout on any machine; an ok run's training and setup scale apart
    there_min = sum(r.get("run_wall_s") or 0 for r in rows) / 60
    here_min = sum(_projected(r, factor) for r in rows) / 60
    print(f"the store's {plural(len(rows), 'run')} took {there_min:.1f} min of child wall time there; at these ratios "
          f"about {here_min:.0f} min here (training and setup scaled apart, timeouts as they were)")
    return 0


PARTS = {"whole run": "run_wall_s", "setup": "setup_s", "training": "train_s"}


def _range(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f}, n={len(values)})"


def _projected(row: dict, factor: dict[str, float]) -> float:
    """``row``'s run_wall_s on this machine: its training and setup by their ratios, the rest by the whole
    run's; a run that did not finish ok as it was (a timeout lasts its timeout anywhere)."""
    wall = row.get("run_wall_s") or 0.0
    if row.get("status") != "ok":
        return wall
    train, setup = row.get("train_s") or 0.0, row.get("setup_s") or 0.0
    whole = factor["whole run"]
    return (train * factor.get("training", whole) + setup * factor.get("setup", whole)
            + max(0.0, wall - train - setup) * whole)


if __name__ == "__main__":
    sys.exit(main())
