"""What a results store cost in machine time, and where it went: child wall time summed per part.

    python scripts/machine_time.py results/readouts [--by task,observables] [--not-in results/reference]

Every run's ``run_wall_s`` (the whole run seen from the parent: a fresh interpreter, setup, training,
evaluation, work counting) split into training (``train_s``), setup (``setup_s``: interpreter start to the
first step), evaluation (``eval_s``), timed-out runs (their whole wall) and the rest (process start before
the child's clock, work counting, writing the row). Rows of every status count: a timeout cost its time too.
``--not-in STORE`` leaves out the rows STORE holds too (same run_id): what ``scripts/share_rows.py`` copied
there was measured, and paid for, once.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.results.store import read_rows, store_path  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--by", default="task", help="comma-separated row fields to group by (default task)")
    parser.add_argument("--not-in", metavar="STORE", help="leave out the rows this store holds too (by run_id)")
    args = parser.parse_args(argv)
    by = [f for f in args.by.split(",") if f]
    for folder in filter(None, (args.results, args.not_in)):
        if not store_path(folder).exists():      # a typo must not read as an empty store
            print(f"machine_time: no results store at {folder} (a folder holding runs.jsonl, or a .jsonl file)", file=sys.stderr)
            return 2
    shared = {r.get("run_id") for r in read_rows(args.not_in, warn=False).rows} if args.not_in else set()
    parts: dict[tuple, dict[str, float]] = {}
    for r in read_rows(args.results, warn=False).rows:
        if r.get("run_id") in shared:
            continue
        key = tuple(str(r.get(f)) for f in by)
        p = parts.setdefault(key, dict(runs=0, wall=0.0, train=0.0, setup=0.0, evaluation=0.0, timeouts=0.0))
        wall = r.get("run_wall_s") or 0.0
        p["runs"] += 1
        p["wall"] += wall
        if r.get("status") == "timeout":
            p["timeouts"] += wall
        else:
            for name, field in (("train", "train_s"), ("setup", "setup_s"), ("evaluation", "eval_s")):
                p[name] += r.get(field) or 0.0
    print(f"{'/'.join(by):<40} {'runs':>5} {'wall min':>9} {'train':>7} {'setup':>7} {'eval':>6} "
          f"{'timeout':>8} {'rest':>6}")
    total = dict(runs=0, wall=0.0, train=0.0, setup=0.0, evaluation=0.0, timeouts=0.0)
    for key in sorted(parts):
        p = parts[key]
        for k in total:
            total[k] += p[k]
        _line(" / ".join(key), p)
    _line("total", total)
    return 0


def _line(name: str, p: dict) -> None:
    rest = p["wall"] - p["train"] - p["setup"] - p["evaluation"] - p["timeouts"]
    print(f"{name:<40} {p['runs']:>5} {p['wall'] / 60:>9.1f} {p['train'] / 60:>7.1f} {p['setup'] / 60:>7.1f} "
          f"{p['evaluation'] / 60:>6.1f} {p['timeouts'] / 60:>8.1f} {rest / 60:>6.1f}")


if __name__ == "__main__":
    sys.exit(main())
