"""Copy the ok runs one store measured into another, so a sweep there skips them instead of measuring them again.

    python scripts/share_rows.py FROM TO --task scaling --layers 1 --backends NAME,NAME [--qubits 2,4]

``make reference`` uses it so that the readout store's Z-on-every-wire family (the scaling circuit's own
outputs) is the reference's 1-layer grid rather than a second measurement of the same configurations. Only
rows of that readout are copied (no ``--observables``, no ``--env``), only ok runs (a timeout stays the sweep's
to decide under its own timeout), and each row at most once (by ``run_id``), so running it again copies
nothing new. Rows are copied whole, through the store's own writer: a copy is the same measurement, with the
same ``run_id`` and timestamp.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from harness.results.store import Store, read_rows  # noqa: E402


def shared(rows: list[dict], have: set, task: str, layers: int, backends: set, qubits: set) -> list[dict]:
    """The rows of ``rows`` to copy: ok runs of ``task`` at ``layers`` with the circuit's own readout, of one of
    ``backends`` (every one if empty) at one of ``qubits`` (every size if empty), whose run_id is not in ``have``."""
    return [r for r in rows
            if r.get("status") == "ok" and r.get("task") == task and r.get("layers") == layers
            and not r.get("observables") and not r.get("env") and r.get("run_id") not in have
            and (not backends or r.get("backend") in backends) and (not qubits or r.get("qubits") in qubits)]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("--task", default="scaling")
    parser.add_argument("--layers", type=int, default=1)
    parser.add_argument("--backends", default="", help="comma-separated (default: every backend)")
    parser.add_argument("--qubits", default="", help="comma-separated sizes (default: every size)")
    args = parser.parse_args(argv)
    if not Path(args.source).is_dir():
        print(f"error: {args.source} is not a results folder; give the store to copy from", file=sys.stderr)
        return 2
    try:
        qubits = {int(q) for q in args.qubits.split(",") if q}
    except ValueError:
        print(f"error: --qubits {args.qubits!r}: expected comma-separated whole numbers, like 2,4,8", file=sys.stderr)
        return 2
    backends = {b for b in args.backends.split(",") if b}
    have = {r.get("run_id") for r in read_rows(args.target, warn=False).rows} if Path(args.target).is_dir() else set()
    rows = shared(read_rows(args.source, warn=False).rows, have, args.task, args.layers, backends, qubits)
    Path(args.target).mkdir(parents=True, exist_ok=True)
    with Store(args.target) as store:
        for r in rows:
            store.append(r)
    print(f"{args.target}: {len(rows)} ok run{'s' if len(rows) != 1 else ''} copied from {args.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
