"""What ``sweep --drop-slow FACTOR`` would have spared of a store measured without it, by the sweep's own rule.

    python scripts/drop_slow_cost.py results/reference --factor 4 [--outside-s 0.1] [--keep DIR]

For every race (a configuration but its backend and seed), the store's lowest seed is the first round, as a
sweep over seeds 0,1,2 runs it, and the sweep's own rule decides (``harness.executing.dropslow.FirstRound``): a
backend whose first run lies more than FACTOR beyond the leader's there would have run no later seed, unless
the leader over every seed comes within the report's reach of it (``FirstRound.catch_up``). The
machine time those later runs took (``run_wall_s``, whatever their status) is what the rule spares. Rows
measured before the child ended with ``os._exit`` also paid the interpreter's teardown outside the child's
clock: of each kept row's ``run_wall_s - child_wall_s``, what exceeds ``--outside-s`` (what is left outside
the clock now) is spared too, and said apart. ``--keep DIR`` writes the rows the rule would have kept to
DIR's store, so ``harness report`` on it shows which answers change.
"""
from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.executing.dropslow import FirstRound  # noqa: E402
from harness.executing.sweep import config_key  # noqa: E402
from harness.results.store import read_rows, store_path  # noqa: E402


def spared(rows: list[dict], factor: float) -> list[bool]:
    """For each row: would the rule have skipped it, and not run it after all when the grid was done
    (``FirstRound.catch_up``, judged on every seed's rows here)?"""
    first = FirstRound(min((r["seed"] for r in rows), default=None))
    for r in rows:
        first.note(r, config_key(r))
    return [bool(first.behind(config_key(r), factor)) and not first.catch_up(config_key(r)) for r in rows]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results")
    parser.add_argument("--factor", type=float, default=4.0)
    parser.add_argument("--outside-s", type=float, default=0.1,
                        help="seconds a run now spends outside the child's clock (default 0.1)")
    parser.add_argument("--keep", help="write the rows the rule keeps to this folder's store")
    args = parser.parse_args(argv)
    rows = read_rows(args.results, warn=False).rows
    skip = spared(rows, args.factor)
    by_task: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0.0])     # spared runs, spared s, kept s
    for r, s in zip(rows, skip):
        part = r["task"] + (f", {r['layers']} layer{'s' if r['layers'] != 1 else ''}" if r.get("layers") else "")
        by_task[part][0] += s
        by_task[part][1 if s else 2] += r.get("run_wall_s") or 0.0
    total = sum(r.get("run_wall_s") or 0.0 for r in rows)
    gone = sum(v[1] for v in by_task.values())
    teardown = sum(max(0.0, r["run_wall_s"] - r["child_wall_s"] - args.outside_s) for r, s in zip(rows, skip)
                   if not s and r.get("run_wall_s") and r.get("child_wall_s"))
    print(f"{args.results}: {len(rows)} rows, {total / 60:.1f} min of child wall time; --drop-slow "
          f"{args.factor:g} spares {sum(skip)} runs, {gone / 60:.1f} min, leaving {(total - gone) / 60:.1f} min; "
          f"ending the child without teardown spares {teardown / 60:.1f} min more, leaving "
          f"{(total - gone - teardown) / 60:.1f} min")
    for task, (n, s, kept) in sorted(by_task.items()):
        print(f"  {task:<20} spares {n:>4} runs, {s / 60:>5.1f} min; leaves {kept / 60:>5.1f} min")
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        store_path(args.keep).write_text("".join(json.dumps(r) + "\n" for r, s in zip(rows, skip) if not s))
    return 0


if __name__ == "__main__":
    sys.exit(main())
