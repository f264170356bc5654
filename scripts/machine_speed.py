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
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.executing.runner import run_config  # noqa: E402
from harness.inputs.config import RunConfig  # noqa: E402
from harness.results.store import read_rows, store_path  # noqa: E402
from harness.results.words import plural  # noqa: E402

TASK = "moons"


def stored_runs(rows: list[dict], backend: str) -> list[dict]:
    """The store's quiet ok rows of ``TASK`` on ``backend`` in the configuration of its seed-0 row."""
    first = next((r for r in rows if r.get("task") == TASK and r.get("backend") == backend
                  and r.get("status") == "ok" and r.get("seed") == 0), None)
    if first is None:
        return []
    same = [f.name for f in dataclasses.fields(RunConfig) if f.name not in ("seed", "timeout_s", "data_dir")]
    return [r for r in rows if r.get("status") == "ok" and r.get("busy") is not True
            and all(r.get(k) == first.get(k) for k in same)]


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
    rows = read_rows(args.results, warn=False).rows
    backends = [b for b in args.backends.split(",") if b]
    there = {b: stored_runs(rows, b) for b in backends}
    missing = [b for b in backends if not there[b]]
    if missing:
        print(f"machine_speed: {args.results} holds no ok {TASK} run of seed 0 on {', '.join(missing)}; "
              f"valid here: {', '.join(sorted({r['backend'] for r in rows if r.get('task') == TASK}))}",
              file=sys.stderr)
        return 2
    here: dict[str, list[dict]] = {b: [] for b in backends}
    with tempfile.TemporaryDirectory(prefix="machine-speed-") as tmp:
        for round_index in range(args.runs):
            for b in backends[round_index % len(backends):] + backends[:round_index % len(backends)]:
                seed0 = next(r for r in there[b] if r["seed"] == 0)
                cfg = RunConfig(**{f.name: seed0.get(f.name) for f in dataclasses.fields(RunConfig)
                                   if f.name not in ("timeout_s", "data_dir")})
                row = run_config(cfg, tmp, echo=None)
                if row.get("status") != "ok" or row.get("busy") is True:
                    print(f"machine_speed: {b} round {round_index + 1}: {row.get('status')}"
                          f"{' on a busy machine' if row.get('busy') else ''}; left out", file=sys.stderr)
                    continue
                here[b].append(row)
    ratios: dict[str, list[float]] = {part: [] for part in PARTS}
    print(f"{TASK}: here against {args.results}, seconds, median (min-max, n)")
    for b in backends:
        if not here[b]:
            print(f"  {b}: no quiet run here")
            continue
        said = []
        for part, field in PARTS.items():
            now, past = [r[field] for r in here[b]], [r[field] for r in there[b]]
            ratios[part].append(statistics.median(now) / statistics.median(past))
            said.append(f"{part} {_range(now)} against {_range(past)}, x{ratios[part][-1]:.2f}")
        print(f"  {b}: " + "; ".join(said))
    if not ratios["whole run"]:
        return 1
    factor = {part: statistics.median(v) for part, v in ratios.items()}
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
    return train * factor["training"] + setup * factor["setup"] + max(0.0, wall - train - setup) * factor["whole run"]


if __name__ == "__main__":
    sys.exit(main())
