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
import random
import sys
import time
from dataclasses import dataclass

from .concurrency import Active, Claim, others_active
from .config import RunConfig
from .provenance import code_version, thread_env
from .quality import short_quality
from .runner import child_env, run_config
from .signals import Interrupted, stop_signals
from .store import RowNotStored, Store, read_rows
from .validate import check_run, sweep_axes

# the fields that identify a configuration; the timeout does not change what is measured.
# thread_env is the thread-related environment the child sees (the user's own and --env):
# a stored run measured under another OpenMP policy is another configuration.
KEY_FIELDS = ("task", "backend", "circuit", "qubits", "layers", "digits", "seed", "shots", "threads", "env",
              "thread_env", "epochs", "batch_size", "lr", "train_size", "test_size")


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
    rerun_other_code: bool = False            # re-run stored ok runs whose code version differs


def _hashable(value):
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    return value


def config_key(d: dict) -> tuple:
    return tuple((k, _hashable(d.get(k) if k != "env" else (d.get(k) or {}))) for k in KEY_FIELDS)


def planned_key(cfg: RunConfig) -> tuple:
    """The key a run of ``cfg`` will be stored under, the thread environment included."""
    return config_key({**cfg.as_dict(), "thread_env": thread_env(child_env(cfg.threads, cfg.env))})


ORDER_SEED = 20261122      # fixes the shuffled backend order of every round


def round_order(names: list[str], round_index: int) -> list[str]:
    """The backends of one round (one seed) in their shuffled order: fixed by the round's index."""
    return random.Random(f"{ORDER_SEED}:{round_index}").sample(names, len(names))


def expand(sweep: SweepConfig, notes: list[str] | None = None) -> list[RunConfig]:
    """Every resolved configuration of the grid, in run order, each once (validates all of them first).

    Repeats are the outer loop: round r runs seed r of every configuration,
    with the backends in an order shuffled per round (fixed by ``ORDER_SEED``),
    so a slow spell of a shared machine spreads over every backend instead of
    landing on the seeds of one. Within a round, sizes go up (qubits ascending),
    so a timeout can stop the larger sizes of its backend. ``notes`` collects
    what the checks said (repeats collapsed, threads above the CPUs), each once.
    """
    notes = [] if notes is None else notes
    axes = sweep_axes(sweep, notes)
    base = sweep.base
    blocks = []                     # (task, qubits, layers, batch size, per-task options, backends that serve it)
    for task in axes["tasks"]:
        sizable = axes["sizable"][task]
        qubits = (axes["qubits"] or (None,)) if sizable else (None,)
        layers = (axes["layers"] or (None,)) if sizable else (None,)
        batches = axes["batches"] or (None,)
        per_task = dict(circuit=base.circuit if axes["circuit_fits"][task] else None,
                        digits=base.digits if axes["mnist"][task] else None,
                        data_dir=base.data_dir if axes["mnist"][task] else None)
        for q, l, b in itertools.product(qubits, layers, batches):
            blocks.append((task, q, l, b, per_task, set(axes["served"][task])))
    configs, seen, repeats = [], set(), 0
    for r, seed in enumerate(axes["seeds"]):
        order = round_order(list(axes["backends"]), r)
        for task, q, l, b, per_task, served in blocks:
            for name in order:
                if name not in served:
                    continue
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


def _stored_ok(results_dir, rerun_other_code: bool, out) -> tuple[set, int]:
    """Keys of the configurations stored as ok (by this code, and unless re-running them, by other code),
    and where the store ended when read."""
    here = code_version()
    read = read_rows(results_dir)
    ok = [r for r in read.rows if r.get("status") == "ok"]
    other = [r for r in ok if r.get("code_version") != here]
    if other:
        versions = sorted({str(r.get("code_version") or "unrecorded") for r in other})
        what = "will be re-run" if rerun_other_code else "are kept (re-run them with --rerun-other-code)"
        print(f"warning: {len(other)} stored ok runs come from other code (code version "
              f"{', '.join(versions[:3])}{' ...' if len(versions) > 3 else ''}; this code is {here}); they {what}",
              file=out, flush=True)
    return {config_key(r) for r in ok if not (rerun_other_code and r.get("code_version") != here)}, read.end


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
        stored_ok, offset = _stored_ok(results_dir, sweep.rerun_other_code, out)
        done_elsewhere: set = set()
        # (backend, task, layers, batch) -> (qubits, seed) of the smallest size that ran out of time
        too_big: dict[tuple, tuple[int, int]] = {}
        spent, ran, warned = 0.0, 0, set()
        i = 0
        try:
            for i, cfg in enumerate(configs, 1):
                label = f"{cfg.task} {cfg.backend} seed {cfg.seed}" + (
                    f" q{cfg.qubits} l{cfg.layers} b{cfg.batch_size}" if cfg.qubits else "")
                size_key = (cfg.backend, cfg.task, cfg.layers, cfg.batch_size)
                limit, limit_seed = too_big.get(size_key, (None, None))
                key = planned_key(cfg)
                if not sweep.force and key in stored_ok:
                    counts["skipped (stored)"] += 1
                    status = "stored"
                elif cfg.qubits and limit is not None and (
                        cfg.qubits > limit or (cfg.qubits == limit and cfg.seed != limit_seed)):
                    # larger sizes would only time out again; the same size is not retried with other seeds
                    counts["skipped (too big)"] += 1
                    status = f"skipped: {limit} qubits ran out of time (seed {limit_seed})"
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
                            if status in ("timeout", "killed") and cfg.qubits and (limit is None or cfg.qubits < limit):
                                too_big[size_key] = (cfg.qubits, cfg.seed)
                            if status == "ok":
                                status += f" ({row['train_s']:.1f} s, {short_quality(row)})"
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
