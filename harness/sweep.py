"""`python -m harness sweep`: a grid of runs, one fresh child process at a time.

The grid is backends x tasks x seeds x (qubits, layers, batch size); qubits
and layers only vary the scaling task. Runs go one after another by default,
so timings do not disturb each other. A sweep is resumable: a configuration
already stored as ok is skipped (``force`` re-runs it). A failed or timed-out
run is recorded and the sweep goes on; on the scaling task, once a size times
out (or is killed), larger qubit counts of that backend, layer count and batch
size are skipped, since they would only time out again.

Options that fit only some tasks (``--qubits``, ``--circuit``, ``--digits``,
``--data-dir``) go to those tasks and are refused, as ``run`` refuses them,
when they fit none. Repeated names and values run once and are said once.
Two sweeps on one store share the work: a configuration is claimed before it
runs (``harness.concurrency``), and rows the other sweep stored meanwhile
count as done. The store is opened before the first run; a row it cannot take,
or a stop signal, ends the sweep with every finished run stored.
"""
from __future__ import annotations

import dataclasses
import itertools
import sys
import time
from dataclasses import dataclass

from .concurrency import Active, Claim, others_active
from .config import RunConfig
from .runner import run_config
from .signals import Interrupted, stop_signals
from .store import RowNotStored, Store, read_rows
from .validate import check_run, sweep_axes

# the fields that identify a configuration; the timeout does not change what is measured
KEY_FIELDS = ("task", "backend", "circuit", "qubits", "layers", "digits", "seed", "shots", "threads", "epochs",
              "batch_size", "lr", "train_size", "test_size")


@dataclass(frozen=True)
class SweepConfig:
    backends: tuple[str, ...] = ("all",)
    tasks: tuple[str, ...] = ("moons",)
    seeds: tuple[int, ...] = (0,)
    qubits: tuple[int, ...] = ()              # scaling task only
    layers: tuple[int, ...] = ()              # scaling task only
    batch_sizes: tuple[int, ...] = ()         # () keeps each task's default
    base: RunConfig = RunConfig()             # everything else: threads, timeout, epochs, shots, ...
    force: bool = False


def config_key(d: dict) -> tuple:
    return tuple((k, tuple(d[k]) if isinstance(d.get(k), list) else d.get(k)) for k in KEY_FIELDS)


def expand(sweep: SweepConfig, notes: list[str] | None = None) -> list[RunConfig]:
    """Every resolved configuration of the grid, in run order, each once (validates all of them first).

    ``notes`` collects what the checks said (repeats collapsed, threads above
    the CPUs), each once.
    """
    notes = [] if notes is None else notes
    axes = sweep_axes(sweep, notes)
    base = sweep.base
    configs, seen, repeats = [], set(), 0
    for task in axes["tasks"]:
        sizable = axes["sizable"][task]
        qubits = (axes["qubits"] or (None,)) if sizable else (None,)
        layers = (axes["layers"] or (None,)) if sizable else (None,)
        batches = axes["batches"] or (None,)
        per_task = dict(circuit=base.circuit if axes["circuit_fits"][task] else None,
                        digits=base.digits if axes["mnist"][task] else None,
                        data_dir=base.data_dir if axes["mnist"][task] else None)
        for q, l, b, name, seed in itertools.product(qubits, layers, batches, axes["backends"], axes["seeds"]):
            cfg = dataclasses.replace(base, task=task, backend=name, seed=seed, qubits=q, layers=l,
                                      batch_size=b if b is not None else base.batch_size, **per_task)
            checked = check_run(cfg)
            notes.extend(n for n in checked.notes if n not in notes)
            key = config_key(checked.config.as_dict())
            if key in seen:
                repeats += 1            # e.g. --batch-sizes naming the task's own default
                continue
            seen.add(key)
            configs.append(checked.config)
    if repeats:
        notes.append(f"{repeats} configuration{'s' if repeats > 1 else ''} of the grid came out the same as "
                     f"another once defaults were filled in; each runs once")
    return configs


def _eta(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m" if seconds >= 3600 else f"{seconds // 60}m{seconds % 60:02d}s"


def _bar(done: int, total: int, width: int = 24) -> str:
    filled = int(width * done / total) if total else width
    return "#" * filled + "-" * (width - filled)


COUNTS = ("ok", "failed", "timeout", "killed", "skipped (stored)", "skipped (too big)",
          "skipped (claimed elsewhere)")


def run_sweep(sweep: SweepConfig, results_dir="results", out=None) -> dict:
    """Run the grid; returns counts per outcome.

    A stop (Ctrl-C, SIGTERM, SIGHUP) or a row the store cannot take ends the
    sweep after saying how far it got; the exception goes on to the caller.
    """
    out = out or sys.stderr
    notes: list[str] = []
    configs = expand(sweep, notes)
    for note in notes:
        print(f"warning: {note}", file=out, flush=True)
    counts = dict.fromkeys(COUNTS, 0)
    total = len(configs)
    with Store(results_dir) as store, stop_signals(), Active(f"sweep on {results_dir}"):
        read = read_rows(results_dir)
        stored_ok = {config_key(r) for r in read.rows if r.get("status") == "ok"}
        offset, done_elsewhere = read.end, set()
        too_big: dict[tuple, int] = {}          # (backend, layers, batch) -> smallest qubits that timed out
        spent, ran, warned = 0.0, 0, set()
        i = 0
        try:
            for i, cfg in enumerate(configs, 1):
                label = f"{cfg.task} {cfg.backend} seed {cfg.seed}" + (
                    f" q{cfg.qubits} l{cfg.layers} b{cfg.batch_size}" if cfg.qubits else "")
                size_key = (cfg.backend, cfg.task, cfg.layers, cfg.batch_size, cfg.seed)
                key = config_key(cfg.as_dict())
                if not sweep.force and key in stored_ok:
                    counts["skipped (stored)"] += 1
                    status = "stored"
                elif cfg.qubits and size_key in too_big and cfg.qubits > too_big[size_key]:
                    counts["skipped (too big)"] += 1
                    status = f"skipped: {too_big[size_key]} qubits already ran out of time"
                else:
                    with Claim(results_dir, key) as claim:
                        # rows other sweeps stored while we ran count as done here too
                        fresh = read_rows(results_dir, warn=False, start=offset)
                        offset = fresh.end
                        for r in fresh.rows:
                            if r.get("status") == "ok":
                                stored_ok.add(config_key(r))
                                done_elsewhere.add(config_key(r))
                        if not claim.held:
                            counts["skipped (claimed elsewhere)"] += 1
                            status = "skipped: another sweep on this store is running it"
                        elif key in (done_elsewhere if sweep.force else stored_ok):
                            counts["skipped (stored)"] += 1
                            status = "stored (by another sweep meanwhile)"
                        else:
                            for other in others_active():
                                pid = other.split(":")[0]
                                if pid not in warned:
                                    warned.add(pid)
                                    print(f"warning: another harness process is timing on this machine ({other}); "
                                          f"both results are disturbed", file=out, flush=True)
                            eta = f" ETA {_eta(spent / ran * (total - i + 1))}" if ran else ""
                            print(f"[{_bar(i - 1, total)}] {i}/{total}{eta}  {label} ...", file=out, flush=True)
                            start = time.perf_counter()
                            row = run_config(cfg, results_dir, echo=None, store=store)
                            spent += time.perf_counter() - start
                            ran += 1
                            status = row["status"]
                            counts[status] += 1
                            if status in ("timeout", "killed") and cfg.qubits:
                                too_big[size_key] = min(cfg.qubits, too_big.get(size_key, cfg.qubits))
                            if status == "ok":
                                status += f" ({row['train_s']:.1f} s, test acc {100 * row['test_accuracy']:.0f}%)"
                            else:
                                status += ": " + ((row.get("error") or "").strip().splitlines() or [""])[0]
                print(f"[{_bar(i, total)}] {i}/{total}  {label}: {status}", file=out, flush=True)
        except (KeyboardInterrupt, RowNotStored) as stop:
            why = stop.describe() if isinstance(stop, Interrupted) else (
                "interrupted" if isinstance(stop, KeyboardInterrupt) else "a row could not be stored")
            done = ", ".join(f"{v} {k}" for k, v in counts.items() if v) or "nothing done"
            print(f"sweep stopped at {i}/{total} ({why}): {done}; every finished run is stored, "
                  f"and running the sweep again resumes it", file=out, flush=True)
            raise
    return counts
